using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>POST [type]</c>: the server assigns the id (any id in the body is replaced) and answers
/// 201 with Location. With <c>If-None-Exist</c> (conditional create): one match → 200 with
/// that resource and nothing written; several → 412; none → an ordinary create.
/// </summary>
internal static class CreateInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string type, InteractionContext ctx, CancellationToken ct)
    {
        using var serialised = request.Headers.IfNoneExist is { } criteria
            ? await ctx.Locks.AcquireAsync(request.Tenant, type, criteria, ct).ConfigureAwait(false)
            : null;
        var step = await PlanAsync(request, type, InteractionContext.NewId(), ctx, ct).ConfigureAwait(false);
        return await step.ExecuteAsync(request, ctx, ct).ConfigureAwait(false);
    }

    /// <param name="id">The id to create under (a transaction chooses it before planning, so
    /// other entries can refer to it).</param>
    public static async Task<WriteStep> PlanAsync(FhirRequest request, string type, string id, InteractionContext ctx, CancellationToken ct)
    {
        var prepared = ResourceInput.Prepare(ctx, request.Body, type);
        if (prepared.Failed)
        {
            return WriteStep.Finished(prepared.Error!);
        }
        if (request.Headers.IfNoneExist is { } criteria)
        {
            var existing = await FindExistingAsync(request, type, criteria, ctx, ct).ConfigureAwait(false);
            if (existing is not null)
            {
                return WriteStep.Finished(existing);
            }
        }
        return WriteStep.Write(new CreateOperation(type, prepared.Content!, id), result =>
            Responses.Written(request, 201, result.Resource!, withLocation: true));
    }

    /// <summary>The answer when <c>If-None-Exist</c> matched (or failed), null to go on creating.</summary>
    private static async Task<FhirResponse?> FindExistingAsync(FhirRequest request, string type, string criteria, InteractionContext ctx, CancellationToken ct)
    {
        var (_, query) = QueryString.SplitUrl(criteria);
        var match = await ConditionalMatch.FindAsync(ctx, request.Tenant, type, query ?? criteria, 2, ct).ConfigureAwait(false);
        if (match.Error is not null)
        {
            return match.Error;
        }
        return match.Matches.Length switch
        {
            0 => null,
            1 => Responses.Written(request, 200, match.Matches[0], withLocation: true),
            _ => FhirResponse.Error(412, IssueType.Processing, $"If-None-Exist '{criteria}' matches more than one {type}."),
        };
    }
}
