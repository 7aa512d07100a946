using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using Meridian.Storage;

namespace Meridian.Subscriptions.Matching;

/// <summary>
/// One resource version as the in-memory matcher sees it: its id and its search index values
/// grouped by parameter code — the same rows (<see cref="SearchIndexer"/>) the store writes for
/// that version, so criteria evaluated against them agree with the store's search.
/// </summary>
public sealed class ResourceFacts
{
    private readonly Dictionary<string, List<SearchValue>> _byCode;

    private ResourceFacts(string id, DateTimeOffset lastUpdated, Dictionary<string, List<SearchValue>> byCode)
    {
        Id = id;
        LastUpdated = lastUpdated;
        _byCode = byCode;
    }

    public string Id { get; }

    /// <summary>The version's meta.lastUpdated as the store recorded it (its last_updated column), for <c>_lastUpdated</c>.</summary>
    public DateTimeOffset LastUpdated { get; }

    public IReadOnlyList<SearchValue> Values(string code) => _byCode.TryGetValue(code, out var v) ? v : [];

    public IEnumerable<KeyValuePair<string, List<SearchValue>>> All => _byCode;

    /// <summary>Parses and indexes a stored version; null for a deleted version or JSON that does not parse.</summary>
    public static ResourceFacts? From(StoredResource stored, SearchIndexer indexer)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(indexer);
        if (stored.IsDeleted || stored.Json.IsEmpty)
        {
            return null;
        }
        var parsed = FhirJsonParser.R4.Parse(stored.Json, stored.Type);
        if (parsed.Resource is null)
        {
            return null;
        }
        var byCode = new Dictionary<string, List<SearchValue>>(StringComparer.Ordinal);
        foreach (var entry in indexer.Extract(parsed.Resource))
        {
            if (!byCode.TryGetValue(entry.Parameter.Code, out var list))
            {
                list = [];
                byCode[entry.Parameter.Code] = list;
            }
            list.Add(entry.Value);
        }
        return new ResourceFacts(stored.Id, stored.LastUpdated, byCode);
    }
}
