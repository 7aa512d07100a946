using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>DELETE [type]/[id]</c>: writes a deleted version (history keeps all earlier ones). 204, or
/// 200 with an OperationOutcome when <c>Prefer: return=OperationOutcome</c>. Deleting what is
/// absent or already deleted is a no-op and succeeds, as the spec allows.
/// </summary>
internal static class DeleteInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string type, string id, InteractionContext ctx, CancellationToken ct)
    {
        var step = Plan(request, type, id);
        return await step.ExecuteAsync(request, ctx, ct).ConfigureAwait(false);
    }

    public static WriteStep Plan(FhirRequest request, string type, string id)
    {
        long? ifMatch = null;
        if (request.Headers.IfMatch is { } header)
        {
            if (!ETags.TryParse(header, out var v))
            {
                return WriteStep.Finished(FhirResponse.Error(400, IssueType.Invalid, $"If-Match '{header}' is not a version ETag like W/\"3\"."));
            }
            ifMatch = v;
        }
        return WriteStep.Write(new DeleteOperation(type, id, ifMatch), result => Respond(request, result));
    }

    public static FhirResponse Respond(FhirRequest request, WriteResult result)
    {
        var message = result.Outcome == WriteOutcome.Deleted
            ? $"{result.Type}/{result.Id} deleted."
            : $"{result.Type}/{result.Id} did not exist or was already deleted; nothing changed.";
        var response = PreferHeader.Return(request.Headers.Prefer) == PreferReturn.OperationOutcome
            ? FhirResponse.Outcome(200, [new Issue(IssueSeverity.Information, IssueType.Informational, message)])
            : FhirResponse.Empty(204);
        return result.Outcome == WriteOutcome.Deleted && result.Resource is { } r
            ? response with { ETag = Responses.ETag(r.VersionId) }
            : response;
    }
}
