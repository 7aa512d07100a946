using System.Globalization;
using Meridian.Api.Internal;
using Meridian.Fhir.Outcomes;
using Meridian.Storage;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>GET [type]/[id]/_history</c>, <c>[type]/_history</c>, <c>_history</c>: versions newest
/// first as a history Bundle (deletes are entries with request DELETE and no resource).
/// <c>_since</c>, <c>_at</c>, <c>_count</c>; the next link carries the store cursor, which pins
/// the first page's snapshot so later writes never shift pages.
/// </summary>
internal static class HistoryInteraction
{
    public static async Task<FhirResponse> HandleAsync(FhirRequest request, Route route, InteractionContext ctx, CancellationToken ct)
    {
        var query = new HistoryQuery(route.Type, route.Id) { Count = ctx.Options.DefaultPageSize, Cursor = request.QueryValue("_cursor") };
        foreach (var (name, value) in request.Query)
        {
            switch (name)
            {
                case "_since" when SearchDates.TryParseInstant(value, out var since):
                    query = query with { Since = since };
                    break;
                case "_at" when SearchDates.TryParseInstant(value, out var at):
                    query = query with { At = at };
                    break;
                case "_count" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count):
                    query = query with { Count = Math.Clamp(count, 1, ctx.Options.MaxPageSize) };
                    break;
                case "_since" or "_at" or "_count":
                    return FhirResponse.Error(400, IssueType.Invalid, $"'{value}' is not a valid {name} value.");
            }
        }
        if (route.Id is not null)
        {
            var current = await ctx.Store.ReadAsync(request.Tenant, route.Type!, route.Id, ct).ConfigureAwait(false);
            if (current is null)
            {
                return Responses.NotFound(route.Type!, route.Id);
            }
        }
        HistoryPage page;
        try
        {
            page = await ctx.Store.HistoryAsync(request.Tenant, query, ct).ConfigureAwait(false);
        }
        catch (ArgumentException) when (query.Cursor is not null)
        {
            return FhirResponse.Error(400, IssueType.Invalid, "_cursor is not a paging cursor this server issued.");
        }
        var path = route.Id is not null ? $"{route.Type}/{route.Id}/_history" : route.Type is not null ? $"{route.Type}/_history" : "_history";
        var selfParams = request.Query.Where(kv => kv.Key != "_cursor").ToList();
        var self = Url(request.BaseUrl, path, selfParams);
        var links = new List<(string, string)> { ("self", self) };
        if (page.NextCursor is not null)
        {
            links.Add(("next", Url(request.BaseUrl, path, [.. selfParams, new("_cursor", page.NextCursor)])));
        }
        var entries = new List<BundleEntry>(page.Entries.Length);
        foreach (var r in page.Entries)
        {
            entries.Add(Entry(request.BaseUrl, r));
        }
        return new FhirResponse(200, BundleWriter.Write("history", null, links, entries));
    }

    private static BundleEntry Entry(string baseUrl, StoredResource r)
    {
        var (method, url, status) = r.IsDeleted
            ? ("DELETE", $"{r.Type}/{r.Id}", "204")
            : r.VersionId == 1 ? ("POST", r.Type, "201") : ("PUT", $"{r.Type}/{r.Id}", "200");
        return new BundleEntry(BundleWriter.FullUrl(baseUrl, r), r.IsDeleted ? ReadOnlyMemory<byte>.Empty : r.Json)
        {
            RequestMethod = method,
            RequestUrl = url,
            ResponseStatus = status,
            ResponseEtag = Responses.ETag(r.VersionId),
            ResponseLastModified = r.LastUpdated,
        };
    }

    private static string Url(string baseUrl, string path, IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var q = QueryString.Format(pairs);
        return q.Length == 0 ? $"{baseUrl}/{path}" : $"{baseUrl}/{path}?{q}";
    }
}
