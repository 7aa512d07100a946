using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions.Delivery;

/// <summary>
/// Delivered notifications waiting to be marked in the queue: the workers add the runs of event
/// numbers each sent, and one transaction marks all of them every flush (instead of one write per
/// worker run competing with FHIR writes for the database). Until a run is committed, workers skip
/// it (<see cref="Contains"/>), so nothing is sent twice in the meantime; a crash before the flush
/// re-sends those notifications with the same event numbers (at-least-once, as before).
/// <para>
/// Runs are exact, never widened over a gap: a number between two sent runs is a notification that
/// was not sent (a dead letter, or one a replay just put back). Kept as one range "lowest..highest"
/// it was skipped as if sent until the flush (a replayed dead letter went out a pass late), and the
/// flush's range update could even mark a replayed notification delivered without sending it.
/// </para>
/// </summary>
public sealed class DeliveredAcks
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), ImmutableArray<(long From, long To)>> _pending = new();

    public bool IsEmpty => _pending.IsEmpty;

    public void Add(string tenant, string id, long from, long to) =>
        _pending.AddOrUpdate((tenant, id), [(from, to)], (_, runs) => Merge(runs, from, to));

    /// <summary>Whether the subscription's notification <paramref name="eventNumber"/> was sent and awaits its mark.</summary>
    public bool Contains(string tenant, string id, long eventNumber) =>
        _pending.TryGetValue((tenant, id), out var runs) && Contains(runs, eventNumber);

    /// <summary>The subscription's sent-but-unmarked runs (empty: none).</summary>
    public ImmutableArray<(long From, long To)> Runs(string tenant, string id) =>
        _pending.TryGetValue((tenant, id), out var runs) ? runs : [];

    public static bool Contains(ImmutableArray<(long From, long To)> runs, long eventNumber)
    {
        if (runs.IsDefaultOrEmpty)
        {
            return false;
        }
        foreach (var (from, to) in runs)
        {
            if (eventNumber >= from && eventNumber <= to)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Marks every pending run delivered in one transaction; runs added meanwhile stay for the next flush.</summary>
    public async Task<int> FlushAsync(SubscriptionQueue queue, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var snapshot = Snapshot();
        if (snapshot.Length == 0)
        {
            return 0;
        }
        await queue.MarkDeliveredAsync(Ranges(snapshot), ct).ConfigureAwait(false);
        Forget(snapshot);
        return snapshot.Length;
    }

    /// <summary>The runs waiting now (to be marked by a transaction that then calls <see cref="Forget"/>).</summary>
    public KeyValuePair<(string Tenant, string Id), ImmutableArray<(long From, long To)>>[] Snapshot() => _pending.ToArray();

    /// <summary>A snapshot as the queue's ranges to mark, one per run.</summary>
    public static List<(string Tenant, string SubscriptionId, long From, long To)> Ranges(
        IEnumerable<KeyValuePair<(string Tenant, string Id), ImmutableArray<(long From, long To)>>> snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var ranges = new List<(string, string, long, long)>();
        foreach (var (key, runs) in snapshot)
        {
            foreach (var (from, to) in runs)
            {
                ranges.Add((key.Tenant, key.Id, from, to));
            }
        }
        return ranges;
    }

    /// <summary>Drops runs once committed as delivered.</summary>
    public void Forget(IEnumerable<KeyValuePair<(string Tenant, string Id), ImmutableArray<(long From, long To)>>> committed)
    {
        ArgumentNullException.ThrowIfNull(committed);
        foreach (var entry in committed)
        {
            // Only if unchanged (the same array): runs a worker added meanwhile stay until the next flush.
            _pending.TryRemove(entry);
        }
    }

    /// <summary>Adds a run, joining it only with runs it overlaps or touches (sorted, disjoint).</summary>
    private static ImmutableArray<(long From, long To)> Merge(ImmutableArray<(long From, long To)> runs, long from, long to)
    {
        var result = ImmutableArray.CreateBuilder<(long From, long To)>(runs.Length + 1);
        var added = false;
        foreach (var r in runs)
        {
            if (r.To + 1 < from)
            {
                result.Add(r);
            }
            else if (to + 1 < r.From)
            {
                if (!added)
                {
                    result.Add((from, to));
                    added = true;
                }
                result.Add(r);
            }
            else
            {
                from = Math.Min(from, r.From);
                to = Math.Max(to, r.To);
            }
        }
        if (!added)
        {
            result.Add((from, to));
        }
        return result.DrainToImmutable();
    }
}
