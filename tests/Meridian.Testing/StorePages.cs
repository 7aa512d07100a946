using Meridian.Storage;
using Meridian.Storage.Search;

namespace Meridian.Testing;

/// <summary>
/// Follows a search's cursors to the end, for tests that compare two query plans: the same
/// matches, the same pages (ids and cursors) and the same total mean the plans agree.
/// </summary>
public static class StorePages
{
    /// <summary>Every page of <paramref name="first"/>, in order, at most <paramref name="maxPages"/>.</summary>
    public static async Task<(List<string> Ids, List<string> Pages, long? Total)> AllAsync(
        IFhirStore store, string tenant, SearchQuery first, int maxPages)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(first);
        var q = first;
        var ids = new List<string>();
        var pages = new List<string>();
        long? total = null;
        for (var page = 0; page < maxPages; page++)
        {
            var result = await store.SearchAsync(tenant, q);
            total ??= result.Total;
            ids.AddRange(result.Matches.Select(m => m.Id));
            pages.Add(string.Join(",", result.Matches.Select(m => m.Id)) + "|" + result.NextCursor);
            if (result.NextCursor is null)
            {
                return (ids, pages, total);
            }
            q = q with { Cursor = result.NextCursor };
        }
        throw new InvalidOperationException($"more than {maxPages} pages");
    }
}
