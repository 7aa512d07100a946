using System.Collections.Immutable;
using System.Data.Common;
using Meridian.Storage.Records;

namespace Meridian.Storage.Relational;

/// <summary>
/// <see cref="ISystemRecordStore"/> on table <c>system_records</c> (migration 0005). Writes join the
/// group commit (one statement in the batch's transaction, acknowledged after its commit); reads
/// use a reader: the compare-and-swap is the statement's WHERE clause, atomic on both engines.
/// </summary>
public abstract partial class RelationalFhirStore : ISystemRecordStore
{
    private const string RecordColumns = "tenant, kind, key, version, value, updated, expires_at";

    public async Task<SystemRecord?> GetRecordAsync(string tenant, string kind, string key, CancellationToken cancellationToken = default)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append($"SELECT {RecordColumns} FROM system_records WHERE tenant = ").AppendParam(tenant)
           .Append(" AND kind = ").AppendParam(kind).Append(" AND key = ").AppendParam(key)
           .Append(" AND (expires_at IS NULL OR expires_at > ").AppendParam(Options.Clock.GetUtcNow().UtcTicks).Append(")");
        var rows = await QueryRecordsAsync(DataScope.Of(tenant), sql.Build(), cancellationToken).ConfigureAwait(false);
        return rows.Length == 0 ? null : rows[0];
    }

    public async Task<ImmutableArray<SystemRecord>> ListRecordsAsync(string tenant, string kind, CancellationToken cancellationToken = default)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append($"SELECT {RecordColumns} FROM system_records WHERE tenant = ").AppendParam(tenant)
           .Append(" AND kind = ").AppendParam(kind)
           .Append(" AND (expires_at IS NULL OR expires_at > ").AppendParam(Options.Clock.GetUtcNow().UtcTicks).Append(") ORDER BY key");
        return await QueryRecordsAsync(DataScope.Of(tenant), sql.Build(), cancellationToken).ConfigureAwait(false);
    }

    public async Task<long?> PutRecordAsync(string tenant, string kind, string key, ReadOnlyMemory<byte> value, long expectedVersion, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(expectedVersion);
        var now = Options.Clock.GetUtcNow().UtcTicks;
        var bytes = value.ToArray();
        if (expectedVersion == SystemRecord.Absent)
        {
            // An expired record is absent: clear it so the create-only insert can take the key.
            var purge = new SqlBuilder(Dialect);
            purge.Append("DELETE FROM system_records WHERE tenant = ").AppendParam(tenant).Append(" AND kind = ").AppendParam(kind)
                 .Append(" AND key = ").AppendParam(key).Append(" AND expires_at IS NOT NULL AND expires_at <= ").AppendParam(now);
            var insert = new SqlBuilder(Dialect);
            insert.Append($"INSERT INTO system_records ({RecordColumns}) VALUES (").AppendParam(tenant).Append(", ").AppendParam(kind)
                  .Append(", ").AppendParam(key).Append(", 1, ").AppendParam(bytes).Append(", ").AppendParam(now)
                  .Append(", ").AppendParam(expiresAt?.UtcTicks).Append(") ON CONFLICT (tenant, kind, key) DO NOTHING");
            var (purgeSql, insertSql) = (purge.Build(), insert.Build());
            return await InGroupCommitAsync(tenant, async (c, tx, ct) =>
            {
                await ExecuteAsync(c, tx, purgeSql, ct).ConfigureAwait(false);
                return await ExecuteAsync(c, tx, insertSql, ct).ConfigureAwait(false) == 1 ? 1 : null;
            }, cancellationToken).ConfigureAwait(false);
        }
        var update = new SqlBuilder(Dialect);
        update.Append("UPDATE system_records SET value = ").AppendParam(bytes).Append(", version = version + 1, updated = ").AppendParam(now)
              .Append(", expires_at = ").AppendParam(expiresAt?.UtcTicks)
              .Append(" WHERE tenant = ").AppendParam(tenant).Append(" AND kind = ").AppendParam(kind).Append(" AND key = ").AppendParam(key)
              .Append(" AND version = ").AppendParam(expectedVersion)
              .Append(" AND (expires_at IS NULL OR expires_at > ").AppendParam(now).Append(")");
        var updateSql = update.Build();
        return await InGroupCommitAsync(tenant, async (c, tx, ct) =>
            await ExecuteAsync(c, tx, updateSql, ct).ConfigureAwait(false) == 1 ? expectedVersion + 1 : null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeleteRecordAsync(string tenant, string kind, string key, long expectedVersion, CancellationToken cancellationToken = default)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append("DELETE FROM system_records WHERE tenant = ").AppendParam(tenant).Append(" AND kind = ").AppendParam(kind)
           .Append(" AND key = ").AppendParam(key);
        if (expectedVersion != SystemRecord.AnyVersion)
        {
            sql.Append(" AND version = ").AppendParam(expectedVersion);
        }
        var statement = sql.Build();
        return await InGroupCommitAsync(tenant, async (c, tx, ct) => await ExecuteAsync(c, tx, statement, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// Runs a record write inside the next group commit (docs/adr/0010-group-commit.md) and
    /// returns its value once that commit is durable. Record writes (event positions, leases,
    /// sessions) used to be autocommitted statements on the writer: on SQLite each one was a
    /// transaction and an fsync of its own on the single writer, queued between the data batches;
    /// now they share the data's fsync. The compare-and-swap is still the statement's WHERE clause.
    /// </summary>
    private protected async Task<long?> InGroupCommitAsync(string tenant, Func<DbConnection, DbTransaction, CancellationToken, Task<long?>> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tenant); // the server-wide tenant is ""
        ct.ThrowIfCancellationRequested();
        var pending = new Write.PendingTransaction(tenant, [], s_noOptions, ct) { Work = work };
        await _coalescer.EnqueueAsync(pending).ConfigureAwait(false);
        return pending.WorkResult;
    }

    private static readonly TransactOptions s_noOptions = new();

    public async Task<int> PurgeExpiredRecordsAsync(string kind, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append("DELETE FROM system_records WHERE kind = ").AppendParam(kind)
           .Append(" AND expires_at IS NOT NULL AND expires_at <= ").AppendParam(now.UtcTicks);
        await using var lease = await AcquireWriterAsync(DataScope.System, cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(lease.Connection, sql.Build(), cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> ExecuteAsync(DbConnection connection, SqlStatement statement, CancellationToken ct) =>
        await ExecuteAsync(connection, null, statement, ct).ConfigureAwait(false);

    private async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? tx, SqlStatement statement, CancellationToken ct)
    {
        await using var cmd = CreateCommand(connection, tx, statement);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private async Task<ImmutableArray<SystemRecord>> QueryRecordsAsync(DataScope scope, SqlStatement statement, CancellationToken ct)
    {
        await using var connection = await OpenScopedReaderAsync(scope, ct).ConfigureAwait(false);
        await using var cmd = CreateCommand(connection, null, statement);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<SystemRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new SystemRecord(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                reader.GetFieldValue<byte[]>(4),
                new DateTimeOffset(reader.GetInt64(5), TimeSpan.Zero),
                reader.IsDBNull(6) ? null : new DateTimeOffset(reader.GetInt64(6), TimeSpan.Zero)));
        }
        return list.DrainToImmutable();
    }
}
