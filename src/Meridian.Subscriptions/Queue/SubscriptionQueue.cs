using System.Collections.Immutable;
using System.Data.Common;
using Meridian.Storage;
using Meridian.Storage.Relational;

namespace Meridian.Subscriptions.Queue;

/// <summary>
/// The durable notification queue and subscription state (tables of migration 0010) on the
/// store's own database. Enqueueing a batch is one transaction: the event numbers it assigns
/// and the rows it adds commit together, and a change already queued for a subscription
/// (a redelivered batch) is skipped, so at-least-once input gives exactly one row per
/// (subscription, change).
/// </summary>
/// <param name="groupCommit">The store's group commit for module writes (SQLite), or null: own transactions.</param>
public sealed partial class SubscriptionQueue(IModuleDatabase db, TimeProvider clock, IModuleGroupCommit? groupCommit = null)
{
    private const string ModuleSavepoint = "subscriptions";

    private const string EventColumns = "tenant, subscription_id, event_number, change_sequence, resource_type, resource_id, version_id, kind, commit_time, trace_id, state, attempts, next_attempt, enqueued, delivered, last_error";
    private const string StateColumns = "tenant, subscription_id, owner, status, last_error, error_time, last_event_number, handshake_done, last_sent";

    private long Now => clock.GetUtcNow().UtcTicks;

    /// <summary>Queues <paramref name="items"/> (in commit order) in one transaction; returns how many rows were added.</summary>
    public Task<int> EnqueueAsync(IReadOnlyList<EnqueueItem> items, CancellationToken ct) => EnqueueAsync(items, null, ct);

    /// <summary>
    /// Queues <paramref name="items"/> and, in the same transaction, marks what
    /// <paramref name="delivered"/> holds delivered (then forgets it): on SQLite every module
    /// transaction is an fsync on the single writer that FHIR writes wait for, so the delivery
    /// acks ride along with the feed's enqueue instead of committing on their own.
    /// </summary>
    public async Task<int> EnqueueAsync(IReadOnlyList<EnqueueItem> items, Delivery.DeliveredAcks? delivered, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            return 0;
        }
        var snapshot = delivered?.Snapshot() ?? [];
        var acks = Delivery.DeliveredAcks.Ranges(snapshot);
        var now = Now;
        var added = await InTransactionAsync((c, tx, t) => BatchesWithArrays
            ? EnqueueRowsBatchedAsync(c, tx, items, acks, now, t)
            : EnqueueRowsAsync(c, tx, items, acks, now, t), ct).ConfigureAwait(false);
        delivered?.Forget(snapshot);
        return added;
    }

    private async Task<int> EnqueueRowsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<EnqueueItem> items,
        IReadOnlyList<(string Tenant, string SubscriptionId, long From, long To)> acks, long now, CancellationToken ct)
    {
        var added = 0;
        var rows = new List<(EnqueueItem Item, long Number)>();
        foreach (var group in items.GroupBy(i => (i.Tenant, i.SubscriptionId)))
        {
            var sql = new SqlBuilder(db.Dialect);
            sql.Append("SELECT last_event_number, last_change_sequence FROM subscription_state WHERE tenant = ").AppendParam(group.Key.Tenant)
               .Append(" AND subscription_id = ").AppendParam(group.Key.SubscriptionId).Append(db.Dialect.ForUpdate);
            long number, lastSequence;
            await using (var cmd = Command(connection, tx, sql.Build()))
            await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    continue; // the subscription's state row is gone (deleted subscription): nothing to queue
                }
                number = reader.GetInt64(0);
                lastSequence = reader.GetInt64(1);
            }
            foreach (var item in group)
            {
                var c = item.Change;
                if (c.Sequence <= lastSequence)
                {
                    continue; // already queued by an earlier delivery of this batch
                }
                number++;
                lastSequence = c.Sequence;
                rows.Add((item, number));
            }
            var update = new SqlBuilder(db.Dialect);
            update.Append("UPDATE subscription_state SET last_event_number = ").AppendParam(number)
                  .Append(", last_change_sequence = ").AppendParam(lastSequence).Append(", updated = ").AppendParam(now)
                  .Append(" WHERE tenant = ").AppendParam(group.Key.Tenant).Append(" AND subscription_id = ").AppendParam(group.Key.SubscriptionId);
            await ExecuteAsync(connection, tx, update.Build(), ct).ConfigureAwait(false);
        }
        // Multi-row inserts: a batch of hundreds of notifications costs a few statements, not one each.
        foreach (var chunk in rows.Chunk(100))
        {
            var insert = new SqlBuilder(db.Dialect);
            insert.Append($"INSERT INTO subscription_events ({EventColumns}) VALUES ");
            for (var i = 0; i < chunk.Length; i++)
            {
                var (item, number) = chunk[i];
                var c = item.Change;
                insert.Append(i == 0 ? "(" : ", (")
                      .AppendParam(item.Tenant).Append(", ").AppendParam(item.SubscriptionId).Append(", ").AppendParam(number)
                      .Append(", ").AppendParam(c.Sequence).Append(", ").AppendParam(c.Type).Append(", ").AppendParam(c.Id)
                      .Append(", ").AppendParam(c.VersionId).Append(", ").AppendParam((long)c.Kind).Append(", ").AppendParam(c.Time.UtcTicks)
                      .Append(", ").AppendParam(c.TraceId).Append(", ").AppendParam((long)EventState.Pending).Append(", 0, ").AppendParam(now)
                      .Append(", ").AppendParam(now).Append(", NULL, NULL)");
            }
            await ExecuteAsync(connection, tx, insert.Build(), ct).ConfigureAwait(false);
            added += chunk.Length;
        }
        if (acks.Count > 0)
        {
            await MarkRangesAsync(connection, tx, acks, now, ct).ConfigureAwait(false);
        }
        return added;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction. Where the store offers it (SQLite)
    /// the work rides the store's next group commit: every module transaction of its own was an
    /// fsync on the single writer that FHIR writes queued behind (write throughput with 1,000
    /// subscriptions fell 23-30 %). Inside that shared batch a savepoint keeps a failure of the
    /// work to the work: it is rolled back alone and rethrown here, the FHIR writes still commit.
    /// </summary>
    private async Task<int> InTransactionAsync(Func<DbConnection, DbTransaction, CancellationToken, Task<int>> work, CancellationToken ct)
    {
        if (groupCommit is not null)
        {
            Exception? failed = null;
            var result = await groupCommit.InGroupCommitAsync(async (connection, tx, t) =>
            {
                await tx.SaveAsync(ModuleSavepoint, t).ConfigureAwait(false);
                try
                {
                    var n = await work(connection, tx, t).ConfigureAwait(false);
                    await tx.ReleaseAsync(ModuleSavepoint, t).ConfigureAwait(false);
                    return n;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    failed = ex;
                    await tx.RollbackAsync(ModuleSavepoint, t).ConfigureAwait(false);
                    return null;
                }
            }, ct).ConfigureAwait(false);
            if (failed is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed);
            }
            return (int)result.GetValueOrDefault();
        }
        await using var lease = await db.AcquireModuleWriterAsync(ct).ConfigureAwait(false);
        await using var own = await db.BeginModuleTransactionAsync(lease.Connection, ct).ConfigureAwait(false);
        var count = await work(lease.Connection, own, ct).ConfigureAwait(false);
        await own.CommitAsync(ct).ConfigureAwait(false);
        return count;
    }

    /// <summary>Creates the state row (status requested) with the creator, or replaces the creator of an existing one.</summary>
    public async Task SetOwnerAsync(string tenant, string subscriptionId, byte[] owner, CancellationToken ct) =>
        await WriteAsync(OwnerUpsert(db.Dialect, tenant, subscriptionId, owner, Now), ct).ConfigureAwait(false);

    /// <summary>The statement of <see cref="SetOwnerAsync"/>, for a caller's own transaction (the Subscription's write).</summary>
    internal static SqlStatement OwnerUpsert(SqlDialect dialect, string tenant, string subscriptionId, byte[] owner, long now)
    {
        var sql = new SqlBuilder(dialect);
        sql.Append("INSERT INTO subscription_state (tenant, subscription_id, owner, status, updated) VALUES (").AppendParam(tenant)
           .Append(", ").AppendParam(subscriptionId).Append(", ").AppendParam(owner).Append(", 'requested', ").AppendParam(now)
           .Append(") ON CONFLICT (tenant, subscription_id) DO UPDATE SET owner = excluded.owner, updated = excluded.updated");
        return sql.Build();
    }

    public async Task<SubscriptionState?> GetStateAsync(string tenant, string subscriptionId, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append($"SELECT {StateColumns} FROM subscription_state WHERE tenant = ").AppendParam(tenant)
           .Append(" AND subscription_id = ").AppendParam(subscriptionId);
        var rows = await QueryStatesAsync(sql.Build(), ct).ConfigureAwait(false);
        return rows.Length == 0 ? null : rows[0];
    }

    /// <summary>Every state row (the registry loads its tenants and subscriptions from it at start).</summary>
    public async Task<ImmutableArray<SubscriptionState>> AllStatesAsync(CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append($"SELECT {StateColumns} FROM subscription_state ORDER BY tenant, subscription_id");
        return await QueryStatesAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    /// <summary>Records the delivery status; <paramref name="error"/> null clears the last error.</summary>
    public async Task SetStatusAsync(string tenant, string subscriptionId, string status, string? error, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append("UPDATE subscription_state SET status = ").AppendParam(status)
           .Append(", last_error = ").AppendParam(error).Append(", error_time = ").AppendParam(error is null ? null : Now)
           .Append(", updated = ").AppendParam(Now)
           .Append(" WHERE tenant = ").AppendParam(tenant).Append(" AND subscription_id = ").AppendParam(subscriptionId);
        await WriteAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    /// <summary>Records <paramref name="error"/> as the last error without changing the status (a visible drop).</summary>
    public async Task RecordErrorAsync(string tenant, string subscriptionId, string error, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append("UPDATE subscription_state SET last_error = ").AppendParam(error).Append(", error_time = ").AppendParam(Now)
           .Append(", updated = ").AppendParam(Now)
           .Append(" WHERE tenant = ").AppendParam(tenant).Append(" AND subscription_id = ").AppendParam(subscriptionId);
        await WriteAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    public async Task MarkHandshakeAsync(string tenant, string subscriptionId, bool done, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append("UPDATE subscription_state SET handshake_done = ").AppendParam(done ? 1L : 0L).Append(", last_sent = ").AppendParam(Now)
           .Append(" WHERE tenant = ").AppendParam(tenant).Append(" AND subscription_id = ").AppendParam(subscriptionId);
        await WriteAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    public async Task MarkSentAsync(string tenant, string subscriptionId, CancellationToken ct)
    {
        var sql = new SqlBuilder(db.Dialect);
        sql.Append("UPDATE subscription_state SET last_sent = ").AppendParam(Now)
           .Append(" WHERE tenant = ").AppendParam(tenant).Append(" AND subscription_id = ").AppendParam(subscriptionId);
        await WriteAsync(sql.Build(), ct).ConfigureAwait(false);
    }

    /// <summary>Removes a deleted subscription's state and queue.</summary>
    public async Task RemoveAsync(string tenant, string subscriptionId, CancellationToken ct)
    {
        await using var lease = await db.AcquireModuleWriterAsync(ct).ConfigureAwait(false);
        await using var tx = await db.BeginModuleTransactionAsync(lease.Connection, ct).ConfigureAwait(false);
        foreach (var table in new[] { "subscription_events", "subscription_state" })
        {
            var sql = new SqlBuilder(db.Dialect);
            sql.Append($"DELETE FROM {table} WHERE tenant = ").AppendParam(tenant).Append(" AND subscription_id = ").AppendParam(subscriptionId);
            await ExecuteAsync(lease.Connection, tx, sql.Build(), ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    internal static DbCommand Command(DbConnection connection, DbTransaction? tx, SqlStatement statement)
        => statement.ToCommand(connection, tx);

    private static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? tx, SqlStatement statement, CancellationToken ct)
    {
        await using var cmd = Command(connection, tx, statement);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private async Task<int> WriteAsync(SqlStatement statement, CancellationToken ct)
    {
        await using var lease = await db.AcquireModuleWriterAsync(ct).ConfigureAwait(false);
        return await ExecuteAsync(lease.Connection, null, statement, ct).ConfigureAwait(false);
    }

    private async Task<ImmutableArray<SubscriptionState>> QueryStatesAsync(SqlStatement statement, CancellationToken ct)
    {
        await using var connection = await db.OpenModuleReaderAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(connection, null, statement);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<SubscriptionState>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new SubscriptionState(
                reader.GetString(0), reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : Ticks(reader.GetInt64(5)),
                reader.GetInt64(6),
                reader.GetInt64(7) != 0,
                reader.IsDBNull(8) ? null : Ticks(reader.GetInt64(8))));
        }
        return list.DrainToImmutable();
    }

    internal static DateTimeOffset Ticks(long ticks) => new(ticks, TimeSpan.Zero);
}
