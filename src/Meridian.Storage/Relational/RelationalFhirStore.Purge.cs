using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Meridian.Storage.Relational.Write;

namespace Meridian.Storage.Relational;

/// <summary>
/// Hard deletes (<see cref="IFhirStoreMaintenance"/>): patient purge and retention. Kept in its
/// own file and off the versioned write path on purpose: it never plans versions, it removes
/// them. One transaction per call, under the same writer lease and change-feed ordering lock as
/// ordinary writes, re-run on a transient conflict like <see cref="TransactAsync"/>.
/// </summary>
public abstract partial class RelationalFhirStore : IFhirStoreMaintenance
{
    /// <summary>Resources handled per statement round (keeps parameter lists well inside both engines' limits).</summary>
    private const int PurgeChunk = 200;

    public async Task<PurgeResult> PurgeAsync(string tenant, IReadOnlyList<ResourceRef> resources, TransactOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(resources);
        options ??= new TransactOptions();
        var targets = resources.Distinct().ToList();
        if (targets.Count == 0)
        {
            return new PurgeResult(0, 0);
        }
        using var activity = StoreTelemetry.Source.StartActivity("store.purge");
        activity?.SetTag("meridian.tenant", tenant);
        activity?.SetTag("meridian.resources", targets.Count);
        for (var attempt = 0; ; attempt++)
        {
            await using var lease = await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
            await using var tx = await BeginWriteTransactionAsync(lease.Connection, DataScope.Of(tenant), cancellationToken).ConfigureAwait(false);
            try
            {
                var result = await PurgeInTransactionAsync(lease.Connection, tx, tenant, targets, options, cancellationToken).ConfigureAwait(false);
                if (result is not null)
                {
                    if (result.Succeeded)
                    {
                        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    }
                    return result;
                }
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbException ex) when (IsTransientConflict(ex))
            {
                CountDeadlock(ex);
                await TryRollbackAsync(tx).ConfigureAwait(false);
            }
            CountConflictRetry();
            if (attempt >= Options.MaxConflictRetries)
            {
                return new PurgeResult(0, 0, new StoreFailure(-1, StoreFailureKind.Conflict, "concurrent writers kept conflicting; retry the purge"));
            }
            await Task.Delay(Random.Shared.Next(1, 5 * (attempt + 1)), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The purge, then what the transaction contributors add (the audit record of the
    /// purge commits atomically with it). Null: a contributed write lost a race, re-run.</summary>
    private async Task<PurgeResult?> PurgeInTransactionAsync(DbConnection c, DbTransaction tx, string tenant, List<ResourceRef> targets, TransactOptions options, CancellationToken ct)
    {
        var now = Now();
        var nowTicks = now.UtcTicks;
        var resourcesRemoved = 0;
        var versionsRemoved = 0;
        var purged = new List<ResourceRef>();
        if (!Options.ChainedTypes.IsDefaultOrEmpty && !Options.Contributors.IsDefaultOrEmpty)
        {
            // The contributed audit record is chained after the change-feed lock is held; its
            // chain lock is taken first, in the order every group commit takes them (chain locks,
            // then the feed: DeferredRows), so a purge and a group commit cannot deadlock.
            await LockChainAsync(c, tx, tenant, ct).ConfigureAwait(false);
        }
        for (var start = 0; start < targets.Count; start += PurgeChunk)
        {
            var slice = targets.GetRange(start, Math.Min(PurgeChunk, targets.Count - start));
            // Every version of the named resources, locked where the engine has row locks, so a
            // concurrent writer either finishes first or waits and then finds nothing.
            var found = new Dictionary<ResourceRef, (long Key, long LastVersion, int Versions)>();
            var select = new SqlBuilder(Dialect);
            select.Append("SELECT type, id, resource_key, version FROM resources WHERE tenant = ").AppendParam(tenant)
                  .Append(" AND (type, id) IN (VALUES ").Append(TypeIdList(select, slice)).Append(")").Append(Dialect.ForUpdate);
            await using (var cmd = CreateCommand(c, tx, select.Build()))
            await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var name = new ResourceRef(reader.GetString(0), reader.GetString(1));
                    var version = reader.GetInt64(3);
                    found[name] = found.TryGetValue(name, out var f)
                        ? (f.Key, Math.Max(f.LastVersion, version), f.Versions + 1)
                        : (reader.GetInt64(2), version, 1);
                }
            }
            if (found.Count == 0)
            {
                continue;
            }
            var names = found.Keys.ToList();
            var keys = found.Values.Select(v => v.Key).Distinct().ToList();

            // Index rows, then the versions themselves (one round trip).
            var delete = new SqlBuilder(Dialect);
            var tenantParam = delete.Param(tenant);
            var inKeys = Dialect.InKeys(delete, "resource_key", keys);
            var text = new StringBuilder();
            foreach (var table in IndexTables.All)
            {
                text.Append(CultureInfo.InvariantCulture, $"DELETE FROM {table.Name} WHERE tenant = {tenantParam} AND {inKeys};\n");
            }
            text.Append(CultureInfo.InvariantCulture, $"DELETE FROM resources WHERE tenant = {tenantParam} AND {inKeys};\n");
            await using (var cmd = CreateCommand(c, tx, delete.Build() with { Text = text.ToString() }))
            {
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            // The change feed keeps no trace of what the resource was, only that it was purged.
            var changes = new SqlBuilder(Dialect);
            changes.Append("DELETE FROM changes WHERE tenant = ").AppendParam(tenant)
                   .Append(" AND (type, id) IN (VALUES ").Append(TypeIdList(changes, names)).Append(")");
            await using (var cmd = CreateCommand(c, tx, changes.Build()))
            {
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await BeforeChangeFeedAsync(c, tx, ct).ConfigureAwait(false);
            var markers = names.Select(n => new object?[] { tenant, n.Type, n.Id, found[n].LastVersion, (int)ChangeKind.Purge, nowTicks, options.TraceId }).ToList();
            await InsertRowsAsync(c, tx, s_changes, markers, ct).ConfigureAwait(false);

            resourcesRemoved += found.Count;
            versionsRemoved += found.Values.Sum(v => v.Versions);
            purged.AddRange(names);
        }
        if (purged.Count > 0 && !Options.Contributors.IsDefaultOrEmpty)
        {
            var results = purged.Select((n, i) => new WriteResult(i, WriteOutcome.Purged, n.Type, n.Id, null)).ToImmutableArray();
            var context = new TransactionContext(tenant, options, results);
            var extra = new List<WriteOperation>();
            foreach (var contributor in Options.Contributors)
            {
                extra.AddRange(await contributor.ContributeAsync(context, ct).ConfigureAwait(false));
            }
            if (extra.Count > 0)
            {
                var failure = await WriteContributedAsync(c, tx, tenant, extra, now, options, ct).ConfigureAwait(false);
                if (failure is { Kind: StoreFailureKind.Conflict })
                {
                    return null;
                }
                if (failure is not null)
                {
                    return new PurgeResult(0, 0, failure);
                }
            }
        }
        return new PurgeResult(resourcesRemoved, versionsRemoved);
    }

    /// <summary>Plans and flushes contributed operations (never shown to contributors again).
    /// A <see cref="StoreFailureKind.Conflict"/> means a concurrent writer won: re-run.</summary>
    private async Task<StoreFailure?> WriteContributedAsync(DbConnection c, DbTransaction tx, string tenant, List<WriteOperation> ops, DateTimeOffset now, TransactOptions options, CancellationToken ct)
    {
        var heads = new Dictionary<(string, string), Head>();
        await ReadHeadsAsync(c, tx, tenant, WritePlanner.Lookups(ops), heads, ct).ConfigureAwait(false);
        var keys = new Queue<long>(await AllocateKeysAsync(c, tx, WritePlanner.KeysNeeded(ops, heads), ct).ConfigureAwait(false));
        var planner = new WritePlanner(tenant, now, heads, keys.Dequeue);
        for (var i = 0; i < ops.Count; i++)
        {
            if (planner.Add(i, ops[i]) is { } failure)
            {
                return failure;
            }
        }
        // Not part of a group commit: the rows a flush defers to the batch are inserted right away.
        var deferred = new BatchRows();
        if (!await FlushAsync(c, tx, tenant, planner.Plan, now, options, deferred, deferVersions: false, RequestStart.AlreadyStarted(), ct).ConfigureAwait(false))
        {
            return new StoreFailure(-1, StoreFailureKind.Conflict, "a concurrent writer changed a contributed resource");
        }
        await InsertDeferredAsync(c, tx, Deferred(tenant, enterScope: false, deferred, chainLocks: []), ct).ConfigureAwait(false);
        return null;
    }

    private static string TypeIdList(SqlBuilder sql, IReadOnlyList<ResourceRef> names)
    {
        var text = new StringBuilder();
        for (var i = 0; i < names.Count; i++)
        {
            text.Append(i > 0 ? ", (" : "(").Append(sql.Param(names[i].Type)).Append(", ").Append(sql.Param(names[i].Id)).Append(')');
        }
        return text.ToString();
    }

    public async Task<ImmutableArray<ResourceRef>> FindExpiredAsync(string tenant, string type, DateTimeOffset updatedBefore, int max, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(type);
        var sql = new SqlBuilder(Dialect);
        sql.Append("SELECT type, id FROM resources WHERE tenant = ").AppendParam(tenant)
           .Append(" AND type = ").AppendParam(type)
           .Append($" AND is_current = {Dialect.True} AND last_updated < ").AppendParam(updatedBefore.UtcTicks)
           .Append(" ORDER BY last_updated LIMIT ").AppendParam((long)Math.Clamp(max, 1, 100_000));
        await using var connection = await OpenReaderAsync(DataScope.Of(tenant), cancellationToken).ConfigureAwait(false);
        await using var cmd = CreateCommand(connection, null, sql.Build());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<ResourceRef>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ResourceRef(reader.GetString(0), reader.GetString(1)));
        }
        return list.DrainToImmutable();
    }

    public async Task<DeletedPage> DeletedAsync(string tenant, string type, string? cursor, int max, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(type);
        var count = Math.Clamp(max, 1, Options.MaxPageSize);
        var after = cursor is null ? 0L : long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var k) ? k
            : throw new ArgumentException($"'{cursor}' is not a cursor of this store", nameof(cursor));
        var sql = new SqlBuilder(Dialect);
        sql.Append($"SELECT {Sql.SearchSqlGenerator.ResourceColumns} FROM resources WHERE tenant = ").AppendParam(tenant)
           .Append(" AND type = ").AppendParam(type)
           .Append($" AND is_current = {Dialect.True} AND deleted = {Dialect.True} AND resource_key > ").AppendParam(after)
           .Append(" ORDER BY resource_key LIMIT ").AppendParam((long)count + 1);
        var keys = new List<long>();
        var rows = await QueryResourcesAsync(tenant, sql.Build(), cancellationToken, keys).ConfigureAwait(false);
        return rows.Length <= count
            ? new DeletedPage(rows, null)
            : new DeletedPage(rows.RemoveAt(count), keys[count - 1].ToString(CultureInfo.InvariantCulture));
    }

    public async Task<ImmutableArray<string>> TenantsAsync(CancellationToken cancellationToken = default)
    {
        // A loose index scan (one index probe per tenant) rather than DISTINCT over every version.
        const string sql = """
            WITH RECURSIVE t(tenant) AS (
                SELECT MIN(tenant) FROM resources
                UNION ALL
                SELECT (SELECT MIN(r.tenant) FROM resources r WHERE r.tenant > t.tenant) FROM t WHERE t.tenant IS NOT NULL)
            SELECT tenant FROM t WHERE tenant IS NOT NULL
            """;
        await using var connection = await OpenReaderAsync(DataScope.System, cancellationToken).ConfigureAwait(false);
        await using var cmd = CreateCommand(connection, null, new SqlStatement(sql, []));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(reader.GetString(0));
        }
        return list.DrainToImmutable();
    }
}
