using System.Collections.Immutable;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Internal;

/// <summary>The current resources matching the criteria of a conditional interaction
/// (<c>If-None-Exist</c>, <c>PUT/DELETE [type]?criteria</c>, conditional references).</summary>
internal readonly record struct MatchResult(ImmutableArray<StoredResource> Matches, FhirResponse? Error);

internal static class ConditionalMatch
{
    /// <summary>Searches <paramref name="type"/> with <paramref name="criteria"/> (a query string
    /// without '?'), returning at most <paramref name="limit"/> matches. Criteria are parsed
    /// strictly: an ignored parameter would widen the match to resources the client never meant.</summary>
    public static async Task<MatchResult> FindAsync(InteractionContext ctx, string tenant, string type, string criteria, int limit, CancellationToken ct)
    {
        var parameters = QueryString.Parse(criteria);
        if (parameters.Length == 0)
        {
            return new MatchResult([], FhirResponse.Error(412, IssueType.Invalid, "A conditional interaction needs search criteria."));
        }
        var parsed = ctx.SearchParser.Parse(type, parameters, SearchHandling.Strict);
        if (parsed.Query is null)
        {
            return new MatchResult([], FhirResponse.Outcome(400, parsed.Issues));
        }
        var result = await ctx.Store.SearchAsync(tenant, parsed.Query with { Count = limit, Includes = [], RevIncludes = [] }, ct).ConfigureAwait(false);
        return new MatchResult(result.Matches, null);
    }
}
