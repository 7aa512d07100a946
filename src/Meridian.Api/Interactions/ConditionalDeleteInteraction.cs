using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>DELETE [type]?criteria</c>: deletes every match, up to
/// <see cref="FhirApiOptions.MaxConditionalDeletes"/> (more matches → 412), in one transaction.
/// No match is a successful no-op.
/// </summary>
internal static class ConditionalDeleteInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, string type, InteractionContext ctx, CancellationToken ct)
    {
        var query = QueryString.Format(request.Query.Where(kv => kv.Key != "_format"));
        var limit = ctx.Options.MaxConditionalDeletes;
        var match = await ConditionalMatch.FindAsync(ctx, request.Tenant, type, query, limit + 1, ct).ConfigureAwait(false);
        if (match.Error is not null)
        {
            return match.Error;
        }
        if (match.Matches.Length > limit)
        {
            return FhirResponse.Error(412, IssueType.Processing,
                $"The criteria '{query}' match more than {limit} {type} resource(s); refine them.");
        }
        if (match.Matches.Length == 0)
        {
            return DeleteInteraction.Respond(request, new WriteResult(0, WriteOutcome.NoChange, type, "?", null));
        }
        var ops = match.Matches.Select(m => (WriteOperation)new DeleteOperation(type, m.Id)).ToList();
        var result = await ctx.Store.TransactAsync(request.Tenant, ops, request.WriteOptions, ct).ConfigureAwait(false);
        return result.Failure is { } f ? Responses.StoreFailure(f) : DeleteInteraction.Respond(request, result.Results[0]);
    }
}
