using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>PUT [type]?criteria</c>: no match → create (with the body's id if it has one, else a
/// server id); one match → update it (a body id must be that resource's); several → 412.
/// </summary>
internal static class ConditionalUpdateInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string type, InteractionContext ctx, CancellationToken ct)
    {
        using var serialised = await ctx.Locks.AcquireAsync(request.Tenant, type, QueryString.Format(request.Query), ct).ConfigureAwait(false);
        var step = await PlanAsync(request, type, request.Query, null, ctx, ct).ConfigureAwait(false);
        return await step.ExecuteAsync(request, ctx, ct).ConfigureAwait(false);
    }

    /// <param name="newId">The id for the create case (a transaction fixes it in advance).</param>
    public static async Task<WriteStep> PlanAsync(FhirRequest request, string type, IEnumerable<KeyValuePair<string, string>> criteria, string? newId, InteractionContext ctx, CancellationToken ct)
    {
        var query = QueryString.Format(criteria.Where(kv => kv.Key != "_format"));
        var match = await ConditionalMatch.FindAsync(ctx, request.Tenant, type, query, 2, ct).ConfigureAwait(false);
        if (match.Error is not null)
        {
            return WriteStep.Finished(match.Error);
        }
        switch (match.Matches.Length)
        {
            case 0:
                var prepared = ResourceInput.Prepare(ctx, request.Body, type);
                if (prepared.Failed)
                {
                    return WriteStep.Finished(prepared.Error!);
                }
                var id = newId ?? prepared.Resource!.ResourceId ?? InteractionContext.NewId();
                return UpdateInteraction.Plan(request, type, id, ctx, requireBodyId: false);
            case 1:
                return UpdateInteraction.Plan(request, type, match.Matches[0].Id, ctx, requireBodyId: false);
            default:
                return WriteStep.Finished(FhirResponse.Error(412, IssueType.Processing, $"The criteria '{query}' match more than one {type}."));
        }
    }
}
