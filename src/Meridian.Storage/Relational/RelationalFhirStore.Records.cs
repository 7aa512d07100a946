using System.Collections.Immutable;
using System.Data.Common;
using Meridian.Storage.Records;

namespace Meridian.Storage.Relational;

/// <summary>
/// <see cref="ISystemRecordStore"/> on table <c>system_records</c> (migration 0005). Each call is
/// one autocommitted statement on the writer connection (or a reader for reads): the
/// compare-and-swap is the statement's WHERE clause, atomic on both engines.
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
        await using var lease = await AcquireWriterAsync(DataScope.Of(tenant), cancellationToken).ConfigureAwait(false);
        if (expectedVersion == SystemRecord.Absent)
        {
            // An expired record is absent: clear it so the create-only insert can take the key.
            var purge = new SqlBuilder(Dialect);
            purge.Append("DELETE FROM system_records WHERE tenant = ").AppendParam(tenant).Append(" AND kind = ").AppendParam(kind)
                 .Append(" AND key = ").AppendParam(key).Append(" AND expires_at IS NOT NULL AND expires_at <= ").AppendParam(now);
            await ExecuteAsync(lease.Connection, purge.Build(), cancellationToken).ConfigureAwait(false);
            var insert = new SqlBuilder(Dialect);
            insert.Append($"INSERT INTO system_records ({RecordColumns}) VALUES (").AppendParam(tenant).Append(", ").AppendParam(kind)
                  .Append(", ").AppendParam(key).Append(", 1, ").AppendParam(bytes).Append(", ").AppendParam(now)
                  .Append(", ").AppendParam(expiresAt?.UtcTicks).Append(") ON CONFLICT (tenant, kind, key) DO NOTHING");
            return await ExecuteAsync(lease.Connection, insert.Build(), cancellationToken).ConfigureAwait(false) == 1 ? 1 : null;
        }
        var update = new SqlBuilder(Dialect);
        update.Append("UPDATE system_records SET value = ").AppendParam(bytes).Append(", version = version + 1, updated = ").AppendParam(now)
              .Append(", expires_at = ").AppendParam(expiresAt?.UtcTicks)
              .Append(" WHERE tenant = ").AppendParam(tenant).Append(" AND kind = ").AppendParam(kind).Append(" AND key = ").AppendParam(key)
              .Append(" AND version = ").AppendParam(expectedVersion)
              .Append(" AND (expires_at IS NULL OR expires_at > ").AppendParam(now).Append(")");
        return await ExecuteAsync(lease.Connection, update.Build(), cancellationToken).ConfigureAwait(false) == 1 ? expectedVersion + 1 : null;
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
        await using var lease = await AcquireWriterAsync(DataScope.Of(tenant), cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(lease.Connection, sql.Build(), cancellationToken).ConfigureAwait(false) > 0;
    }

    public async Task<int> PurgeExpiredRecordsAsync(string kind, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append("DELETE FROM system_records WHERE kind = ").AppendParam(kind)
           .Append(" AND expires_at IS NOT NULL AND expires_at <= ").AppendParam(now.UtcTicks);
        await using var lease = await AcquireWriterAsync(DataScope.System, cancellationToken).ConfigureAwait(false);
        return await ExecuteAsync(lease.Connection, sql.Build(), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> ExecuteAsync(DbConnection connection, SqlStatement statement, CancellationToken ct)
    {
        await using var cmd = CreateCommand(connection, null, statement);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private async Task<ImmutableArray<SystemRecord>> QueryRecordsAsync(DataScope scope, SqlStatement statement, CancellationToken ct)
    {
        await using var connection = await OpenReaderAsync(scope, ct).ConfigureAwait(false);
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
