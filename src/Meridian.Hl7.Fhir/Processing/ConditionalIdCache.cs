using System.Collections.Concurrent;

namespace Meridian.Hl7.Fhir.Processing;

/// <summary>
/// Which resource a conditional URL (<c>Patient?identifier=sys|123</c>) resolved to, per tenant,
/// learnt from this processor's own creates (the 201 <c>Location</c> of a transaction-response
/// entry). The next message about the same patient then PUTs <c>Patient/id</c> directly instead
/// of searching first: the conditional search is most of a mapped message's round trips. Only
/// creates are learnt, so an entry always names a resource this integration made for that
/// identifier. A failed transaction forgets what it used; the cache is bounded (cleared when
/// full) — a miss only costs the search again.
/// </summary>
public sealed class ConditionalIdCache(int capacity = 100_000)
{
    private readonly ConcurrentDictionary<(string Tenant, string Url), string> _ids = new();

    public int Count => _ids.Count;

    /// <summary><c>Type/id</c> for a conditional URL, or null.</summary>
    public string? Find(string tenant, string conditionalUrl) =>
        _ids.TryGetValue((tenant, conditionalUrl), out var id) ? id : null;

    public void Learn(string tenant, string conditionalUrl, string typeAndId)
    {
        if (_ids.Count >= capacity)
        {
            _ids.Clear();
        }
        _ids[(tenant, conditionalUrl)] = typeAndId;
    }

    public void Forget(string tenant, string conditionalUrl) => _ids.TryRemove((tenant, conditionalUrl), out _);
}
