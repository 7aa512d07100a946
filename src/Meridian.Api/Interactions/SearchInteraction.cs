using System.Text;
using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using SearchCompartment = Meridian.Storage.Search.Parsing.SearchCompartment;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>GET [type]?…</c>, <c>POST [type]/_search</c> (form body), and the same across all types at
/// the base. Answers a searchset Bundle: matches, includes, total when asked, self and next
/// links (next carries the store's cursor, so pages come from one stable ordering). Unknown
/// parameters are ignored and reported in an outcome entry, or rejected with
/// <c>Prefer: handling=strict</c>.
/// </summary>
/// <summary>Where a search runs: <see cref="Type"/> (null = all types), the path its links use
/// (relative to the base), and for compartment searches the compartment (one type) or the
/// membership condition over all its types (<c>Patient/1/*</c>).</summary>
internal sealed record SearchScope(string? Type, string Path, SearchCompartment? Compartment = null, SearchExpression? AllTypesFilter = null);

internal static class SearchInteraction
{
    /// <summary>Parameters that shape the answer, not the match; the parser never sees them.</summary>
    private static readonly HashSet<string> s_resultParameters = ["_summary", "_elements", "_format", "_pretty", "_cursor"];

    public static Task<FhirResponse> HandleAsync(FhirRequest request, string? type, InteractionContext ctx, CancellationToken ct) =>
        HandleScopedAsync(request, new SearchScope(type, type ?? ""), ctx, ct);

    public static async Task<FhirResponse> HandleScopedAsync(FhirRequest request, SearchScope scope, InteractionContext ctx, CancellationToken ct)
    {
        var type = scope.Type;
        var all = new List<KeyValuePair<string, string>>(request.Query);
        if (request.Method == "POST" && !request.Body.IsEmpty)
        {
            all.AddRange(QueryString.Parse(Encoding.UTF8.GetString(request.Body.Span)));
        }
        if (ElementFilter.Problem(Value(all, "_elements"), ctx.Spec) is { } badElements)
        {
            return FhirResponse.Error(400, IssueType.Invalid, badElements);
        }
        var filter = ElementFilter.From(Value(all, "_summary"), Value(all, "_elements"), ctx.Spec);
        var handling = PreferHeader.Strict(request.Headers.Prefer) ? SearchHandling.Strict : SearchHandling.Lenient;
        var searchParams = all.Where(kv => !s_resultParameters.Contains(kv.Key)).ToList();
        var (expandedParams, terminologyError) = await Internal.Terminology.TokenModifierExpander.ExpandAsync(type, searchParams, ctx, request.Tenant, ct).ConfigureAwait(false);
        if (terminologyError is not null)
        {
            return terminologyError;
        }
        searchParams = expandedParams;
        var parsed = ctx.SearchParser.Parse(type, searchParams, handling, type is null ? null : scope.Compartment);
        if (parsed.Query is null)
        {
            return FhirResponse.Outcome(400, parsed.Issues);
        }
        var requested = parsed.Query;
        if (scope.AllTypesFilter is { } inCompartment)
        {
            requested = requested with { Filter = requested.Filter is null ? inCompartment : new AndExpression([requested.Filter, inCompartment]) };
        }
        var (query, refusal) = Authorization.SearchAccess.Authorize(ctx.Access, ctx.SearchParser, requested);
        if (query is null)
        {
            return refusal!;
        }
        var count = Value(all, "_count") is null ? ctx.Options.DefaultPageSize : Math.Clamp(query.Count, 0, ctx.Options.MaxPageSize);
        query = query with { Count = count, Cursor = Value(all, "_cursor") };
        if (filter?.Summary == SummaryMode.Count)
        {
            query = query with { Count = 0, Total = TotalMode.Accurate, Includes = [], RevIncludes = [] };
        }
        SearchResult result;
        try
        {
            result = await ctx.Store.SearchAsync(request.Tenant, query, ct).ConfigureAwait(false);
        }
        catch (ArgumentException) when (query.Cursor is not null)
        {
            // The store rejects a cursor it did not issue for this kind of query (edited, or from another search).
            return FhirResponse.Error(400, IssueType.Invalid, "_cursor is not a paging cursor of this search; follow the Bundle's next link.");
        }
        var total = result.Total ?? DefaultTotal(Value(all, "_total"), query.Cursor, result);

        var selfParams = all.Where(kv => kv.Key != "_cursor").ToList();
        var self = Link(request.BaseUrl, scope.Path, selfParams);
        var links = new List<(string, string)> { ("self", self) };
        if (result.NextCursor is not null && count > 0)
        {
            links.Add(("next", Link(request.BaseUrl, scope.Path, [.. selfParams, new("_cursor", result.NextCursor)])));
        }
        var entries = new List<BundleEntry>(result.Matches.Length + result.Included.Length + 1);
        foreach (var r in result.Matches)
        {
            entries.Add(new BundleEntry(BundleWriter.FullUrl(request.BaseUrl, r), filter is null ? r.Json : filter.Apply(r.Json)) { SearchMode = "match" });
        }
        foreach (var r in result.Included)
        {
            entries.Add(new BundleEntry(BundleWriter.FullUrl(request.BaseUrl, r), filter is null ? r.Json : filter.Apply(r.Json)) { SearchMode = "include" });
        }
        if (!parsed.Issues.IsEmpty)
        {
            entries.Add(new BundleEntry(null, Encoding.UTF8.GetBytes(OperationOutcomeWriter.ToJson(parsed.Issues, indented: false))) { SearchMode = "outcome" });
        }
        return new FhirResponse(200, BundleWriter.Write("searchset", total, links, entries));
    }

    /// <summary>
    /// Without <c>_total</c> the total is given when it costs nothing: the first page holds every
    /// match (no next page), so the count is the page's. Otherwise it is left out, as R4 allows
    /// for paged results; <c>_total=accurate|estimate</c> asks the store to count, and
    /// <c>_total=none</c> leaves it out even when known.
    /// </summary>
    private static long? DefaultTotal(string? totalParameter, string? cursor, SearchResult result) =>
        totalParameter is null && cursor is null && result.NextCursor is null ? result.Matches.Length : null;

    private static string? Value(List<KeyValuePair<string, string>> pairs, string name)
    {
        foreach (var kv in pairs)
        {
            if (kv.Key == name)
            {
                return kv.Value;
            }
        }
        return null;
    }

    private static string Link(string baseUrl, string relativePath, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var q = QueryString.Format(pairs);
        var path = relativePath.Length == 0 ? baseUrl : baseUrl + "/" + relativePath;
        return q.Length == 0 ? path : path + "?" + q;
    }
}
