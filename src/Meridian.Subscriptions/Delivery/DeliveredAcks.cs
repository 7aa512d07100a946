using System.Collections.Concurrent;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions.Delivery;

/// <summary>
/// Delivered notifications waiting to be marked in the queue: the workers add the range each
/// sent, and one transaction marks all of them every flush (instead of one write per worker run
/// competing with FHIR writes for the database). Until a range is committed, workers skip it
/// (<see cref="AckedThrough"/>), so nothing is sent twice in the meantime; a crash before the
/// flush re-sends those notifications with the same event numbers (at-least-once, as before).
/// </summary>
public sealed class DeliveredAcks
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), (long From, long To)> _pending = new();

    public bool IsEmpty => _pending.IsEmpty;

    public void Add(string tenant, string id, long from, long to) =>
        _pending.AddOrUpdate((tenant, id), (from, to), (_, r) => (Math.Min(r.From, from), Math.Max(r.To, to)));

    /// <summary>The highest event number of the subscription sent but not yet marked (0: none).</summary>
    public long AckedThrough(string tenant, string id) => _pending.TryGetValue((tenant, id), out var r) ? r.To : 0;

    /// <summary>Marks every pending range delivered in one transaction; ranges added meanwhile stay for the next flush.</summary>
    public async Task<int> FlushAsync(SubscriptionQueue queue, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var snapshot = Snapshot();
        if (snapshot.Length == 0)
        {
            return 0;
        }
        await queue.MarkDeliveredAsync([.. snapshot.Select(s => (s.Key.Tenant, s.Key.Id, s.Value.From, s.Value.To))], ct).ConfigureAwait(false);
        Forget(snapshot);
        return snapshot.Length;
    }

    /// <summary>The ranges waiting now (to be marked by a transaction that then calls <see cref="Forget"/>).</summary>
    public KeyValuePair<(string Tenant, string Id), (long From, long To)>[] Snapshot() => _pending.ToArray();

    /// <summary>Drops ranges once committed as delivered.</summary>
    public void Forget(IEnumerable<KeyValuePair<(string Tenant, string Id), (long From, long To)>> committed)
    {
        ArgumentNullException.ThrowIfNull(committed);
        foreach (var entry in committed)
        {
            // Only if unchanged: a range a worker widened meanwhile stays until the next flush.
            _pending.TryRemove(entry);
        }
    }
}
