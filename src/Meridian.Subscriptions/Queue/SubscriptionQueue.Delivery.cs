using System.Collections.Immutable;
using Meridian.Storage;
using Meridian.Storage.Relational;

namespace Meridian.Subscriptions.Queue;

/// <summary>The delivery side of the queue: what is due, recording attempts, dead letters, replay, <c>$events</c>.</summary>
public sealed partial class SubscriptionQueue
{
    /// <summary>Subscriptions with a pending notification whose next attempt is due.</summary>
    public async Task<ImmutableArray<(string Tenant, string SubscriptionId)>> DueAsync(DateTimeOffset now, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        // State as a literal here and below: the partial indexes (0018 pending, 0022 dead letters) only serve a constant predicate.
        sql.Append(FormattableString.Invariant($"SELECT DISTINCT tenant, subscription_id FROM subscription_events WHERE state = {(long)EventState.Pending}"))
           .Append(" AND next_attempt <= ").AppendParam(now.UtcTicks);
        await using var connection = await db.OpenModuleReaderAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(connection, null, sql.Build());
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<(string, string)>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add((reader.GetString(0), reader.GetString(1)));
        }
        return list.DrainToImmutable();
    }

    /// <summary>
    /// The due notifications of every subscription in one query (one per delivery pass instead of
    /// one per subscription and worker run): per subscription the pending prefix whose attempts are
    /// due — a subscription whose oldest pending notification waits for its retry time contributes
    /// nothing, exactly as its worker would send nothing — in (tenant, subscription, event number)
    /// order, at most <paramref name="max"/> rows (a cut subscription keeps a prefix).
    /// </summary>
    public async Task<ImmutableArray<QueuedEvent>> DueEventsAsync(DateTimeOffset now, int max, CancellationToken ct)
    {
        // State as a literal: the partial index of pending rows (migration 0018) only serves a constant predicate.
        var pending = ((long)EventState.Pending).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sql = new SqlBuilder(db.Dialect);
        sql.Append($"SELECT {EventColumns} FROM subscription_events e WHERE e.state = {pending} AND e.next_attempt <= ").AppendParam(now.UtcTicks)
           .Append($" AND NOT EXISTS (SELECT 1 FROM subscription_events w WHERE w.tenant = e.tenant AND w.subscription_id = e.subscription_id AND w.state = {pending}")
           .Append(" AND w.event_number < e.event_number AND w.next_attempt > ").AppendParam(now.UtcTicks)
           .Append(") ORDER BY e.tenant, e.subscription_id, e.event_number LIMIT ").AppendParam((long)max);
        return await QueryEventsAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    /// <summary>The oldest pending notifications of one subscription, in event-number order (its delivery order).</summary>
    public Task<ImmutableArray<QueuedEvent>> PendingAsync(string tenant, string subscriptionId, int max, CancellationToken ct) =>
        EventsWhereAsync(tenant, subscriptionId, FormattableString.Invariant($"state = {(long)EventState.Pending}"), null, null, max, ct);

    /// <summary>Notifications of one subscription by event number (inclusive bounds), any state: <c>$events</c>.</summary>
    public Task<ImmutableArray<QueuedEvent>> EventsAsync(string tenant, string subscriptionId, long? since, long? until, int max, CancellationToken ct) =>
        EventsWhereAsync(tenant, subscriptionId, null, since, until, max, ct);

    /// <summary>Dead letters of one tenant (one subscription when <paramref name="subscriptionId"/> is given).</summary>
    public async Task<ImmutableArray<QueuedEvent>> DeadLettersAsync(string tenant, string? subscriptionId, int max, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append($"SELECT {EventColumns} FROM subscription_events WHERE tenant = ").AppendParam(tenant)
           .Append(FormattableString.Invariant($" AND state = {(long)EventState.DeadLetter}"));
        if (subscriptionId is not null)
        {
            sql.Append(" AND subscription_id = ").AppendParam(subscriptionId);
        }
        sql.Append(" ORDER BY subscription_id, event_number LIMIT ").AppendParam((long)max);
        return await QueryEventsAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    public Task MarkDeliveredAsync(string tenant, string subscriptionId, long eventNumber, CancellationToken ct) =>
        MarkDeliveredAsync(tenant, subscriptionId, eventNumber, eventNumber, ct);

    /// <summary>Marks the pending notifications numbered <paramref name="from"/>..<paramref name="to"/> delivered in one
    /// statement (a batch that went out in order; dead letters in between stay dead letters).</summary>
    public async Task MarkDeliveredAsync(string tenant, string subscriptionId, long from, long to, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append("UPDATE subscription_events SET state = ").AppendParam((long)EventState.Delivered).Append(", delivered = ").AppendParam(Now)
           .Append(", attempts = attempts + 1, last_error = NULL WHERE tenant = ").AppendParam(tenant)
           .Append(" AND subscription_id = ").AppendParam(subscriptionId).Append(" AND state = ").AppendParam((long)EventState.Pending)
           .Append(" AND event_number >= ").AppendParam(from).Append(" AND event_number <= ").AppendParam(to);
        await WriteAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    /// <summary>Marks several subscriptions' delivered ranges in one transaction.</summary>
    public async Task MarkDeliveredAsync(IReadOnlyList<(string Tenant, string SubscriptionId, long From, long To)> ranges, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        if (ranges.Count == 0)
        {
            return;
        }
        var now = Now;
        await InTransactionAsync(async (c, tx, t) =>
        {
            if (BatchesWithArrays)
            {
                await MarkRangesBatchedAsync(c, tx, ranges, now, t).ConfigureAwait(false);
            }
            else
            {
                await MarkRangesAsync(c, tx, ranges, now, t).ConfigureAwait(false);
            }
            return ranges.Count;
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The delivered ranges, one statement each, inside the caller's transaction. (One statement with
    /// the ranges OR-ed made SQLite's planner fail — "internal query planner error" — with the partial index.)</summary>
    private async Task MarkRangesAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, IReadOnlyList<(string Tenant, string SubscriptionId, long From, long To)> ranges, long now, CancellationToken ct)
    {
        foreach (var (tenant, subscriptionId, from, to) in ranges)
        {
            var sql = new SqlBuilder(db.Dialect);
            sql.Append("UPDATE subscription_events SET state = ").AppendParam((long)EventState.Delivered).Append(", delivered = ").AppendParam(now)
               .Append(", attempts = attempts + 1, last_error = NULL WHERE tenant = ").AppendParam(tenant)
               .Append(" AND subscription_id = ").AppendParam(subscriptionId).Append(FormattableString.Invariant($" AND state = {(long)EventState.Pending}"))
               .Append(" AND event_number >= ").AppendParam(from).Append(" AND event_number <= ").AppendParam(to);
            await ExecuteAsync(connection, tx, sql.Build(), ct).ConfigureAwait(false);
        }
    }

    public async Task MarkFailedAsync(string tenant, string subscriptionId, long eventNumber, DateTimeOffset nextAttempt, string error, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append("UPDATE subscription_events SET attempts = attempts + 1, next_attempt = ").AppendParam(nextAttempt.UtcTicks)
           .Append(", last_error = ").AppendParam(Truncate(error)).Append(Key(sql, tenant, subscriptionId, eventNumber));
        await WriteAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    /// <summary>Dead-letters every pending notification of the subscription queued before <paramref name="queuedBefore"/>
    /// (their retry budget is spent); returns how many.</summary>
    public async Task<int> DeadLetterAsync(string tenant, string subscriptionId, DateTimeOffset queuedBefore, string error, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append("UPDATE subscription_events SET state = ").AppendParam((long)EventState.DeadLetter)
           .Append(", last_error = coalesce(last_error, ").AppendParam(Truncate(error)).Append(") WHERE tenant = ").AppendParam(tenant)
           .Append(" AND subscription_id = ").AppendParam(subscriptionId).Append(" AND state = ").AppendParam((long)EventState.Pending)
           .Append(" AND enqueued < ").AppendParam(queuedBefore.UtcTicks);
        return await WriteAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    /// <summary>Puts dead letters back in the queue with a fresh retry budget (all of the subscription's,
    /// or only <paramref name="eventNumbers"/>); returns how many. Their event numbers are kept, so
    /// they go out before newer notifications and receivers can still de-duplicate.</summary>
    public async Task<int> ReplayAsync(string tenant, string subscriptionId, IReadOnlyList<long>? eventNumbers, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append("UPDATE subscription_events SET state = ").AppendParam((long)EventState.Pending)
           .Append(", attempts = 0, next_attempt = ").AppendParam(Now).Append(", enqueued = ").AppendParam(Now)
           .Append(" WHERE tenant = ").AppendParam(tenant).Append(" AND subscription_id = ").AppendParam(subscriptionId)
           .Append(" AND state = ").AppendParam((long)EventState.DeadLetter);
        if (eventNumbers is { Count: > 0 })
        {
            sql.Append(" AND ").Append(db.Dialect.InKeys(sql, "event_number", eventNumbers));
        }
        return await WriteAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    /// <summary>Pending notifications per subscription (the queue-depth gauge).</summary>
    public async Task<ImmutableArray<(string Tenant, string SubscriptionId, long Count)>> DepthAsync(CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append(FormattableString.Invariant($"SELECT tenant, subscription_id, count(*) FROM subscription_events WHERE state = {(long)EventState.Pending}"))
           .Append(" GROUP BY tenant, subscription_id");
        await using var connection = await db.OpenModuleReaderAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(connection, null, sql.Build());
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<(string, string, long)>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }
        return list.DrainToImmutable();
    }

    /// <summary>Drops delivered notifications older than the retention window; returns how many.</summary>
    public async Task<int> PurgeDeliveredAsync(DateTimeOffset deliveredBefore, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append("DELETE FROM subscription_events WHERE state = ").AppendParam((long)EventState.Delivered)
           .Append(" AND delivered < ").AppendParam(deliveredBefore.UtcTicks);
        return await WriteAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    private static string Key(SqlBuilder sql, string tenant, string subscriptionId, long eventNumber) =>
        " WHERE tenant = " + sql.Param(tenant) + " AND subscription_id = " + sql.Param(subscriptionId) + " AND event_number = " + sql.Param(eventNumber);

    private static string Truncate(string error) => error.Length > 1000 ? error[..1000] : error;

    private async Task<ImmutableArray<QueuedEvent>> EventsWhereAsync(string tenant, string subscriptionId, string? condition, long? since, long? until, int max, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append($"SELECT {EventColumns} FROM subscription_events WHERE tenant = ").AppendParam(tenant)
           .Append(" AND subscription_id = ").AppendParam(subscriptionId);
        if (condition is not null)
        {
            sql.Append(" AND ").Append(condition);
        }
        if (since is { } s)
        {
            sql.Append(" AND event_number >= ").AppendParam(s);
        }
        if (until is { } u)
        {
            sql.Append(" AND event_number <= ").AppendParam(u);
        }
        sql.Append(" ORDER BY event_number LIMIT ").AppendParam((long)max);
        return await QueryEventsAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    private async Task<ImmutableArray<QueuedEvent>> QueryEventsAsync(SqlStatement statement, CancellationToken ct)
    {
        await using var connection = await db.OpenModuleReaderAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(connection, null, statement);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<QueuedEvent>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new QueuedEvent(
                reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4), reader.GetString(5),
                reader.GetInt64(6), (ChangeKind)reader.GetInt64(7), Ticks(reader.GetInt64(8)), reader.IsDBNull(9) ? null : reader.GetString(9),
                (EventState)reader.GetInt64(10), (int)reader.GetInt64(11), Ticks(reader.GetInt64(12)), Ticks(reader.GetInt64(13)),
                reader.IsDBNull(14) ? null : Ticks(reader.GetInt64(14)), reader.IsDBNull(15) ? null : reader.GetString(15)));
        }
        return list.DrainToImmutable();
    }
}
