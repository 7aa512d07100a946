using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>PUT [type]/[id]</c>: a new version (200), or the first one when the id is new (201,
/// update-as-create). <c>If-Match</c> makes it a version-aware update: a stale ETag is 412.
/// The body's id must equal the URL's.
/// </summary>
internal static class UpdateInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string type, string id, InteractionContext ctx, CancellationToken ct)
    {
        var step = Plan(request, type, id, ctx);
        return await step.ExecuteAsync(request, ctx, ct).ConfigureAwait(false);
    }

    public static WriteStep Plan(FhirRequest request, string type, string id, InteractionContext ctx, bool requireBodyId = true)
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
        var prepared = ResourceInput.Prepare(ctx, request.Body, type);
        if (prepared.Failed)
        {
            return WriteStep.Finished(prepared.Error!);
        }
        var bodyId = prepared.Resource!.ResourceId;
        if (bodyId is null && requireBodyId)
        {
            return WriteStep.Finished(FhirResponse.Error(400, IssueType.Required, "An update needs the resource id in the body."));
        }
        if (bodyId is not null && bodyId != id)
        {
            return WriteStep.Finished(FhirResponse.Error(400, IssueType.Invalid, $"The body's id '{bodyId}' does not match the URL's '{id}'."));
        }
        return WriteStep.Write(new UpdateOperation(type, id, prepared.Content!, ifMatch), Respond(request));
    }

    public static Func<WriteResult, FhirResponse> Respond(FhirRequest request) => result =>
        Responses.Written(request, result.Outcome == WriteOutcome.Created ? 201 : 200, result.Resource!,
            withLocation: result.Outcome == WriteOutcome.Created);
}
