using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Data.Common;
using System.Text;
using Meridian.Storage.Relational.Write;

namespace Meridian.Storage.Relational;

public abstract partial class RelationalFhirStore
{
    private static readonly TableDefinition s_resources = new("resources", ["tenant", "type", "id", "version", "resource_key", "last_updated", "deleted", "is_current", "json", "content_hash"]);
    private static readonly TableDefinition s_changes = new("changes", ["tenant", "type", "id", "version", "op", "at", "trace_id"]);

    private readonly ConcurrentDictionary<(string Table, int Rows), string> _insertSql = new();

    private enum Attempt { Done, Retry }

    /// <summary>
    /// Queues the request for the next group commit (<see cref="CommitBatchAsync"/>) and waits
    /// until the batch holding it has committed durably. Results are exactly those of running
    /// the request alone in its own transaction, after the requests committed before it.
    /// </summary>
    public async Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(operations);
        cancellationToken.ThrowIfCancellationRequested();
        using var activity = StoreTelemetry.Source.StartActivity("store.transact");
        activity?.SetTag("meridian.tenant", tenant);
        activity?.SetTag("meridian.operations", operations.Count);
        var result = await _coalescer.EnqueueAsync(new PendingTransaction(tenant, operations, options ?? new TransactOptions(), cancellationToken)).ConfigureAwait(false);
        if (result.Failure is { } failure)
        {
            StoreTelemetry.FailedTransactions.Add(1, new KeyValuePair<string, object?>("kind", failure.Kind.ToString()));
            activity?.SetTag("meridian.failure", failure.Kind.ToString());
        }
        return result;
    }

    /// <summary>Commits what is queued and stops the writer loop; later TransactAsync calls throw
    /// <see cref="ObjectDisposedException"/>. Providers call this first when disposed.</summary>
    protected async Task StopWritingAsync()
    {
        await _coalescer.StopAsync().ConfigureAwait(false);
        await StopDeferredIndexerAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one request of a group commit. <paramref name="start"/> enters the request's scope
    /// and savepoint; it is awaited before the first statement that reads, locks or writes
    /// tenant rows. A request of only server-assigned-id creates (with the contributors' operations
    /// also such creates: a REST create and its AuditEvent, a Synthea transaction Bundle) never
    /// needs it: nothing to read, lock or fail, fresh keys and ids; its rows all go in with the
    /// batch's deferred rows, so on PostgreSQL it costs no round trip of its own.
    /// </summary>
    private async Task<(Attempt, TransactResult?)> ExecuteAsync(DbConnection c, DbTransaction tx, string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions options, BatchRows deferred, RequestStart start, CancellationToken ct)
    {
        var now = Now();
        var participant = options.Participant is { } p && p.Joins(operations) ? p : null;
        if (participant is not null || !OnlyPlainCreates(operations))
        {
            await start.EnsureAsync(ct).ConfigureAwait(false);
        }
        // A module's own rows first (the HL7 v2 inbox), inside this request's savepoint; the
        // operations it derives from them are planned with the contributors' below.
        var joined = participant is not null
            ? await participant.ParticipateAsync(new ParticipantContext(tenant, c, tx, Dialect, SealerFor(c, tx)) { Operations = operations }, ct).ConfigureAwait(false)
            : [];
        var heads = new Dictionary<(string, string), Head>();
        await ReadHeadsAsync(c, tx, tenant, WritePlanner.Lookups(operations), heads, ct).ConfigureAwait(false);
        var keys = new Queue<long>(await AllocateKeysAsync(c, tx, WritePlanner.KeysNeeded(operations, heads), ct).ConfigureAwait(false));
        var planner = new WritePlanner(tenant, now, heads, keys.Dequeue);
        for (var i = 0; i < operations.Count; i++)
        {
            if (planner.Add(i, operations[i]) is { } failure)
            {
                return (Attempt.Done, TransactResult.Failed(failure));
            }
        }
        if (await ClaimConditionalKeysAsync(c, tx, tenant, operations, planner.Plan.Results, ct).ConfigureAwait(false) is { } keyTaken)
        {
            return (Attempt.Done, TransactResult.Failed(keyTaken));
        }
        if (planner.Plan.Unchanged.Count > 0)
        {
            await FillUnchangedAsync(c, tx, tenant, planner.Plan, ct).ConfigureAwait(false);
        }
        var results = planner.Plan.Results.ToImmutableArray();
        if (!Options.Contributors.IsDefaultOrEmpty || !joined.IsDefaultOrEmpty)
        {
            var extra = new List<WriteOperation>(joined);
            var context = new TransactionContext(tenant, options, results);
            foreach (var contributor in Options.Contributors.IsDefault ? [] : Options.Contributors)
            {
                extra.AddRange(await contributor.ContributeAsync(context, ct).ConfigureAwait(false));
            }
            if (extra.Count > 0)
            {
                if (!OnlyPlainCreates(extra))
                {
                    await start.EnsureAsync(ct).ConfigureAwait(false);
                }
                await ReadHeadsAsync(c, tx, tenant, WritePlanner.Lookups(extra), heads, ct).ConfigureAwait(false);
                foreach (var key in await AllocateKeysAsync(c, tx, WritePlanner.KeysNeeded(extra, heads), ct).ConfigureAwait(false))
                {
                    keys.Enqueue(key);
                }
                for (var i = 0; i < extra.Count; i++)
                {
                    if (planner.Add(operations.Count + i, extra[i]) is { } failure)
                    {
                        return (Attempt.Done, TransactResult.Failed(failure));
                    }
                }
            }
        }
        if (!await FlushAsync(c, tx, tenant, planner.Plan, now, options, deferred, deferVersions: !start.Started, start, ct).ConfigureAwait(false))
        {
            return (Attempt.Retry, null);
        }
        return (Attempt.Done, TransactResult.Committed(results));
    }

    /// <summary>
    /// Whether every operation is a create with a server-assigned id (none, or
    /// <see cref="CreateOperation.FreshId"/>) and no conditional key:
    /// such a write reads nothing, claims nothing and inserts a fresh key and id, so it cannot
    /// fail once planned.
    /// </summary>
    private static bool OnlyPlainCreates(IReadOnlyList<WriteOperation> operations)
    {
        foreach (var op in operations)
        {
            if (op is not CreateOperation { ConditionalKey: null } create || (create.Id is not null && !create.FreshId))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>No-op updates return the current version as stored: one read for all of them.</summary>
    private async Task FillUnchangedAsync(DbConnection c, DbTransaction tx, string tenant, WritePlan plan, CancellationToken ct)
    {
        var sql = new SqlBuilder(Dialect);
        var tenantParam = sql.Param(tenant);
        var keys = plan.Unchanged.Select(u => u.Key).ToList();
        sql.Append($"SELECT {Sql.SearchSqlGenerator.ResourceColumns} FROM resources WHERE tenant = {tenantParam} AND is_current = {Dialect.True} AND ")
           .Append(Dialect.InKeys(sql, "resource_key", keys));
        var rowKeys = new List<long>();
        var rows = await QueryResourcesAsync(c, tx, tenant, sql.Build(), ct, rowKeys).ConfigureAwait(false);
        var byKey = new Dictionary<long, StoredResource>();
        for (var i = 0; i < rows.Length; i++)
        {
            byKey[rowKeys[i]] = rows[i];
        }
        foreach (var (position, key) in plan.Unchanged)
        {
            plan.Results[position] = plan.Results[position] with { Resource = byKey.GetValueOrDefault(key) };
        }
    }

    /// <summary>Current versions of the named resources, read in chunks of one statement each.</summary>
    private async Task ReadHeadsAsync(DbConnection c, DbTransaction tx, string tenant, ImmutableArray<(string Type, string Id)> lookups, Dictionary<(string, string), Head> heads, CancellationToken ct)
    {
        const int chunk = 500;
        for (var start = 0; start < lookups.Length; start += chunk)
        {
            var sql = new SqlBuilder(Dialect);
            sql.Append("SELECT type, id, version, deleted, resource_key, content_hash FROM resources WHERE ");
            AppendCurrentOf(sql, tenant, lookups, start, Math.Min(start + chunk, lookups.Length)).Append(Dialect.ForUpdate);
            await using var cmd = CreateCommand(c, tx, sql.Build());
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                heads[(reader.GetString(0), reader.GetString(1))] = new Head(
                    reader.GetInt64(4), reader.GetInt64(2), reader.GetBoolean(3), reader.IsDBNull(5) ? null : reader.GetFieldValue<byte[]>(5));
            }
        }
    }

    /// <summary>
    /// Writes the plan's versions with a fixed number of set-based statements: demote superseded
    /// heads, drop their index rows, insert versions. Index, chain and change rows (and with
    /// <paramref name="deferVersions"/> the version rows too) go to <paramref name="deferred"/>,
    /// inserted once per group commit. Returns false when a
    /// concurrent writer demoted a head first (re-run).
    /// </summary>
    private async Task<bool> FlushAsync(DbConnection c, DbTransaction tx, string tenant, WritePlan plan, DateTimeOffset now, TransactOptions options, BatchRows deferred, bool deferVersions, RequestStart start, CancellationToken ct)
    {
        if (plan.Superseded.Count > 0)
        {
            var demoted = await DemoteAsync(c, tx, tenant, plan.Superseded, ct).ConfigureAwait(false);
            if (demoted != plan.Superseded.Count)
            {
                return false;
            }
        }
        if (plan.Rows.Count == 0)
        {
            return true;
        }
        var nowTicks = now.UtcTicks;
        var versionRows = new List<object?[]>(plan.Rows.Count);
        foreach (var row in plan.Rows)
        {
            versionRows.Add(await VersionRowValuesAsync(c, tx, tenant, row, nowTicks, start, ct).ConfigureAwait(false));
            deferred.Changes.Add([tenant, row.Type, row.Id, row.Version, (int)row.Kind, nowTicks, options.TraceId]);
            if (row.IsCurrent)
            {
                // Deferred types get their index rows from the background indexer (none here).
                var entries = row.Deleted || DefersIndexOf(row.Type, deferred) ? [] : IndexEntriesOf(row);
                deferred.SetIndex(row.Key, IndexTables.RowsOf(tenant, row.Key, row.Type, entries, Dialect));
            }
        }
        deferred.Versions += plan.Rows.Count;
        DeferChain(deferred, plan.Rows, nowTicks);
        if (deferVersions)
        {
            deferred.VersionRows.AddRange(versionRows);
            return true;
        }
        await InsertRowsAsync(c, tx, s_resources, versionRows, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>The one place a version's JSON is bound for insert (an encryption seam wraps
    /// <see cref="VersionRow.Json"/> here).</summary>
    private async ValueTask<object?[]> VersionRowValuesAsync(DbConnection c, DbTransaction tx, string tenant, VersionRow row, long nowTicks, RequestStart start, CancellationToken ct) =>
        [tenant, row.Type, row.Id, row.Version, row.Key, nowTicks, Dialect.Bool(row.Deleted), Dialect.Bool(row.IsCurrent), await ProtectJsonAsync(c, tx, tenant, row, start, ct).ConfigureAwait(false), row.Hash];

    private async Task<int> DemoteAsync(DbConnection c, DbTransaction tx, string tenant, List<long> keys, CancellationToken ct)
    {
        const int chunk = 1000;
        var demoted = 0;
        for (var start = 0; start < keys.Count; start += chunk)
        {
            var slice = keys.GetRange(start, Math.Min(chunk, keys.Count - start));
            var sql = new SqlBuilder(Dialect);
            var tenantParam = sql.Param(tenant);
            var inKeys = Dialect.InKeys(sql, "resource_key", slice);
            sql.Append($"UPDATE resources SET is_current = {Dialect.False} WHERE tenant = {tenantParam} AND is_current = {Dialect.True} AND {inKeys}");
            await using (var cmd = CreateCommand(c, tx, sql.Build()))
            {
                demoted += await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            // Index rows belong to current versions only: drop them for every table in one round trip.
            var delete = new StringBuilder();
            foreach (var table in IndexTables.All)
            {
                delete.Append($"DELETE FROM {table.Name} WHERE {inKeys};\n");
            }
            var statement = sql.Build() with { Text = delete.ToString() };
            await using (var cmd = CreateCommand(c, tx, statement))
            {
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        return demoted;
    }

    /// <summary>
    /// Inserts rows with multi-row INSERT statements, as many rows per statement as the engine's
    /// parameter limit allows (capped), with SQL text cached per (table, row count). Providers
    /// override this with a faster engine path (PostgreSQL binary COPY).
    /// </summary>
    protected virtual async Task InsertRowsAsync(DbConnection connection, DbTransaction tx, TableDefinition table, IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(rows);
        var columns = table.Columns.Length;
        var perStatement = Math.Clamp(Dialect.MaxParameters / columns, 1, 500);
        for (var start = 0; start < rows.Count; start += perStatement)
        {
            var count = Math.Min(perStatement, rows.Count - start);
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = _insertSql.GetOrAdd((table.Name, count), static (k, t) => BuildInsert(t, k.Rows), table);
            var n = 0;
            for (var r = start; r < start + count; r++)
            {
                foreach (var value in rows[r])
                {
                    var p = cmd.CreateParameter();
                    p.ParameterName = "@p" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    p.Value = value ?? DBNull.Value;
                    cmd.Parameters.Add(p);
                    n++;
                }
            }
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    private static string BuildInsert(TableDefinition table, int rows)
    {
        var sb = new StringBuilder($"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) VALUES ");
        var n = 0;
        for (var r = 0; r < rows; r++)
        {
            sb.Append(r > 0 ? ", (" : "(");
            for (var col = 0; col < table.Columns.Length; col++)
            {
                sb.Append(col > 0 ? ", @p" : "@p").Append(n++);
            }
            sb.Append(')');
        }
        return sb.ToString();
    }
}
