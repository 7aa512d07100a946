namespace Meridian.Api.Internal;

/// <summary>
/// The store-level uniqueness key of a conditional create: the If-None-Exist criteria
/// normalised (decoded pairs sorted by name, then value, re-encoded), so <c>b=2&amp;a=1</c> and
/// <c>a=1&amp;b=%32</c> claim the same key. The store records it in the write transaction
/// (<see cref="Meridian.Storage.CreateOperation.ConditionalKey"/>), which makes conditional
/// create unique across server processes sharing a database, not just within one.
/// </summary>
internal static class ConditionalKey
{
    /// <summary>Attempts of a conditional create whose claim another writer took meanwhile
    /// (each re-searches: the usual answer is the other writer's resource).</summary>
    public const int MaxAttempts = 4;

    public static string Normalize(string criteria)
    {
        var (_, query) = QueryString.SplitUrl(criteria);
        var pairs = QueryString.Parse(query ?? criteria)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ThenBy(kv => kv.Value, StringComparer.Ordinal);
        return QueryString.Format(pairs);
    }
}
