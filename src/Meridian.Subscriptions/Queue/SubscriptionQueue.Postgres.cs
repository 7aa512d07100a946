using System.Data.Common;
using Meridian.Storage.Relational;

namespace Meridian.Subscriptions.Queue;

/// <summary>
/// The queue's batch statements on PostgreSQL: arrays bound as parameters and expanded with
/// <c>unnest</c>, so an enqueue is three statements (state rows read, state rows updated, events
/// inserted) and an ack flush is one, whatever the number of subscriptions in the batch. Counted
/// with pg_stat_statements under the load harness (docs/benchmarks.md), the per-subscription
/// statements (state read + state update per matched subscription, one UPDATE per delivered range)
/// were about one statement per notification each, with a parse/plan/execute and a round trip
/// apiece. The statement texts are fixed, so Npgsql's auto-prepare keeps them prepared. SQLite
/// keeps the per-subscription statements: in process they cost no round trip, and they ride the
/// store's group commit there.
/// </summary>
public sealed partial class SubscriptionQueue
{
    private bool BatchesWithArrays => db.Dialect.BindsArrays;

    private const string StateBatchRead =
        "SELECT s.tenant, s.subscription_id, s.last_event_number, s.last_change_sequence FROM subscription_state s " +
        "JOIN unnest(@p0::text[], @p1::text[]) AS k(tenant, subscription_id) ON s.tenant = k.tenant AND s.subscription_id = k.subscription_id";

    private const string StateBatchUpdate =
        "UPDATE subscription_state s SET last_event_number = u.number, last_change_sequence = u.sequence, updated = @p4 " +
        "FROM unnest(@p0::text[], @p1::text[], @p2::bigint[], @p3::bigint[]) AS u(tenant, subscription_id, number, sequence) " +
        "WHERE s.tenant = u.tenant AND s.subscription_id = u.subscription_id";

    private const string EventsBatchInsert =
        $"INSERT INTO subscription_events ({EventColumns}) " +
        "SELECT t, s, n, q, rt, ri, v, k, c, tr, 0, 0, @p10, @p10, NULL, NULL " +
        "FROM unnest(@p0::text[], @p1::text[], @p2::bigint[], @p3::bigint[], @p4::text[], @p5::text[], @p6::bigint[], @p7::bigint[], @p8::bigint[], @p9::text[]) " +
        "AS e(t, s, n, q, rt, ri, v, k, c, tr)";

    // Pending rows only (state 0 as a constant: the partial index of migration 0018 serves it).
    private const string RangesBatchDelivered =
        "UPDATE subscription_events e SET state = 1, delivered = @p4, attempts = e.attempts + 1, last_error = NULL " +
        "FROM unnest(@p0::text[], @p1::text[], @p2::bigint[], @p3::bigint[]) AS r(tenant, subscription_id, low, high) " +
        "WHERE e.tenant = r.tenant AND e.subscription_id = r.subscription_id AND e.state = 0 AND e.event_number >= r.low AND e.event_number <= r.high";

    private async Task<int> EnqueueRowsBatchedAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<EnqueueItem> items,
        IReadOnlyList<(string Tenant, string SubscriptionId, long From, long To)> acks, long now, CancellationToken ct)
    {
        var groups = items.GroupBy(i => (i.Tenant, i.SubscriptionId)).ToList();
        var states = new Dictionary<(string, string), (long Number, long Sequence)>();
        await using (var read = new SqlStatement(StateBatchRead, [groups.Select(g => g.Key.Tenant).ToArray(), groups.Select(g => g.Key.SubscriptionId).ToArray()]).ToCommand(connection, tx))
        await using (var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                states[(reader.GetString(0), reader.GetString(1))] = (reader.GetInt64(2), reader.GetInt64(3));
            }
        }
        var rows = new List<(EnqueueItem Item, long Number)>();
        var updates = new List<((string Tenant, string Id) Key, long Number, long Sequence)>();
        foreach (var group in groups)
        {
            if (!states.TryGetValue(group.Key, out var state))
            {
                continue; // the subscription's state row is gone (deleted subscription): nothing to queue
            }
            var (number, lastSequence) = state;
            foreach (var item in group)
            {
                if (item.Change.Sequence <= lastSequence)
                {
                    continue; // already queued by an earlier delivery of this batch
                }
                number++;
                lastSequence = item.Change.Sequence;
                rows.Add((item, number));
            }
            if (number != state.Number)
            {
                updates.Add((group.Key, number, lastSequence));
            }
        }
        if (updates.Count > 0)
        {
            await ExecuteAsync(connection, tx, new SqlStatement(StateBatchUpdate,
                [updates.Select(u => u.Key.Tenant).ToArray(), updates.Select(u => u.Key.Id).ToArray(),
                 updates.Select(u => u.Number).ToArray(), updates.Select(u => u.Sequence).ToArray(), now]), ct).ConfigureAwait(false);
        }
        if (rows.Count > 0)
        {
            await ExecuteAsync(connection, tx, new SqlStatement(EventsBatchInsert,
            [
                rows.Select(r => r.Item.Tenant).ToArray(), rows.Select(r => r.Item.SubscriptionId).ToArray(), rows.Select(r => r.Number).ToArray(),
                rows.Select(r => r.Item.Change.Sequence).ToArray(), rows.Select(r => r.Item.Change.Type).ToArray(), rows.Select(r => r.Item.Change.Id).ToArray(),
                rows.Select(r => r.Item.Change.VersionId).ToArray(), rows.Select(r => (long)r.Item.Change.Kind).ToArray(),
                rows.Select(r => r.Item.Change.Time.UtcTicks).ToArray(), rows.Select(r => r.Item.Change.TraceId).ToArray(), now,
            ]), ct).ConfigureAwait(false);
        }
        if (acks.Count > 0)
        {
            await MarkRangesBatchedAsync(connection, tx, acks, now, ct).ConfigureAwait(false);
        }
        return rows.Count;
    }

    private static Task<int> MarkRangesBatchedAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<(string Tenant, string SubscriptionId, long From, long To)> ranges, long now, CancellationToken ct) =>
        ExecuteAsync(connection, tx, new SqlStatement(RangesBatchDelivered,
            [ranges.Select(r => r.Tenant).ToArray(), ranges.Select(r => r.SubscriptionId).ToArray(), ranges.Select(r => r.From).ToArray(), ranges.Select(r => r.To).ToArray(), now]), ct);
}
