using System.Collections.Immutable;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Meridian.Storage.Protection;
using Meridian.Storage.Relational.Write;

namespace Meridian.Storage.Relational;

/// <summary>
/// Encryption at rest, seen from the store: the write path seals each version's JSON where the
/// <c>json</c> column is bound, the read path opens it where the column is read, both through
/// <see cref="StoreOptions.Protector"/> (plaintext when null). The <c>data_keys</c> table
/// (migration 0007) is reached through <see cref="IDataKeyTable"/>: bound to the write
/// transaction on the write path, on the reading connection otherwise.
/// </summary>
public abstract partial class RelationalFhirStore : IDataKeyStore
{
    private const string KeyColumns = "tenant, key_id, master_key_id, wrapped, created_at";

    /// <summary>One key table view per write transaction: it remembers the keys that
    /// transaction added (they are not committed, so not cacheable beyond it). Keyed by the
    /// transaction object and checked against the connection, because Npgsql reuses one
    /// transaction object per physical connection across transactions.</summary>
    private readonly ConditionalWeakTable<DbTransaction, TransactionKeyTable> _transactionKeys = new();

    /// <summary>Seals a version's JSON. A data-key lookup or insert is a statement of the request:
    /// it first runs the request's <paramref name="start"/> (scope, savepoint), which a request
    /// whose rows are all deferred otherwise skips.</summary>
    private async ValueTask<byte[]> ProtectJsonAsync(DbConnection c, DbTransaction tx, string tenant, VersionRow row, RequestStart start, CancellationToken ct)
    {
        if (Options.Protector is not { } protector)
        {
            return row.Json;
        }
        var keys = KeysOf(c, tx);
        keys.Start = start;
        try
        {
            return await protector.ProtectAsync(new PayloadAddress(tenant, row.Type, row.Id, row.Version), row.Json, keys, ct).ConfigureAwait(false);
        }
        finally
        {
            keys.Start = null;
        }
    }

    /// <summary>Opens the payloads of rows just read (the reader closed, so a key lookup can
    /// use the same connection: no second pooled connection per reader).</summary>
    private async ValueTask<ImmutableArray<StoredResource>> UnprotectJsonAsync(DbConnection c, DbTransaction? tx, string tenant, ImmutableArray<StoredResource> rows, CancellationToken ct)
    {
        if (Options.Protector is not { } protector || rows.IsEmpty)
        {
            return rows;
        }
        IDataKeyTable keys = tx is null ? new ConnectionKeyTable(this, c) : KeysOf(c, tx);
        var open = ImmutableArray.CreateBuilder<StoredResource>(rows.Length);
        foreach (var row in rows)
        {
            var plaintext = await protector.UnprotectAsync(new PayloadAddress(tenant, row.Type, row.Id, row.VersionId), row.Json, keys, ct).ConfigureAwait(false);
            open.Add(row with { Json = plaintext });
        }
        return open.MoveToImmutable();
    }

    private TransactionKeyTable KeysOf(DbConnection c, DbTransaction tx)
    {
        if (_transactionKeys.TryGetValue(tx, out var keys) && ReferenceEquals(keys.Connection, c))
        {
            return keys;
        }
        keys = new TransactionKeyTable(this, c, tx);
        _transactionKeys.AddOrUpdate(tx, keys);
        return keys;
    }

    public async Task<ImmutableArray<DataKeyRecord>> ListDataKeysAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(DataScope.System, cancellationToken).ConfigureAwait(false);
        var sql = new SqlBuilder(Dialect).Append($"SELECT {KeyColumns} FROM data_keys ORDER BY tenant, key_id, master_key_id");
        await using var cmd = CreateCommand(connection, null, sql.Build());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<DataKeyRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new DataKeyRecord(reader.GetString(0), Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture), reader.GetString(2),
                reader.GetFieldValue<byte[]>(3), new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero)));
        }
        return list.DrainToImmutable();
    }

    public async Task<int> AddDataKeysAsync(IReadOnlyList<DataKeyRecord> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var added = 0;
        await using var lease = await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginWriteTransactionAsync(lease.Connection, DataScope.System, cancellationToken).ConfigureAwait(false);
        foreach (var key in keys)
        {
            added += await InsertKeyAsync(lease.Connection, tx, key, ifAbsent: true, cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return added;
    }

    public async Task<int> RemoveWrapsAsync(string masterKeyId, CancellationToken cancellationToken = default)
    {
        await using var lease = await AcquireWriterAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await BeginWriteTransactionAsync(lease.Connection, DataScope.System, cancellationToken).ConfigureAwait(false);
        var sql = new SqlBuilder(Dialect).Append("DELETE FROM data_keys WHERE master_key_id = ").AppendParam(masterKeyId);
        int removed;
        await using (var cmd = CreateCommand(lease.Connection, tx, sql.Build()))
        {
            removed = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return removed;
    }

    public async Task<bool> HasResourcesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(DataScope.System, cancellationToken).ConfigureAwait(false);
        await using var cmd = CreateCommand(connection, null, new SqlBuilder(Dialect).Append("SELECT 1 FROM resources LIMIT 1").Build());
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    private async Task<int> InsertKeyAsync(DbConnection c, DbTransaction tx, DataKeyRecord key, bool ifAbsent, CancellationToken ct)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append($"INSERT INTO data_keys ({KeyColumns}) VALUES (").AppendParam(key.Tenant).Append(", ").AppendParam((long)key.KeyId).Append(", ")
           .AppendParam(key.MasterKeyId).Append(", ").AppendParam(key.Wrapped).Append(", ").AppendParam(key.CreatedAt.UtcTicks).Append(")");
        if (ifAbsent)
        {
            sql.Append(" ON CONFLICT DO NOTHING");
        }
        await using var cmd = CreateCommand(c, tx, sql.Build());
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The newest key id of a tenant and its wrap under one master key (one row; the
    /// key id is null when the tenant has none), or key <c>keyId</c> when given.</summary>
    private async Task<DataKeyLookup?> LookupKeyAsync(DbConnection c, DbTransaction? tx, string tenant, int? keyId, string masterKeyId, CancellationToken ct)
    {
        var sql = new SqlBuilder(Dialect);
        var tenantParam = sql.Param(tenant);
        sql.Append($"SELECT k.key_id, w.wrapped FROM (SELECT max(key_id) AS key_id FROM data_keys WHERE tenant = {tenantParam}");
        if (keyId is { } id)
        {
            sql.Append(" AND key_id = ").AppendParam((long)id);
        }
        var masterParam = sql.Param(masterKeyId);
        sql.Append($") k LEFT JOIN data_keys w ON w.tenant = {tenantParam} AND w.key_id = k.key_id AND w.master_key_id = {masterParam}");
        await using var cmd = CreateCommand(c, tx, sql.Build());
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false) || reader.IsDBNull(0))
        {
            return null;
        }
        return new DataKeyLookup(Convert.ToInt32(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1), Committed: true);
    }

    /// <summary>The key table inside one write transaction.</summary>
    private sealed class TransactionKeyTable(RelationalFhirStore store, DbConnection connection, DbTransaction tx) : IDataKeyTable
    {
        private readonly Dictionary<(string, string), DataKeyRecord> _added = [];

        public DbConnection Connection => connection;

        /// <summary>The set-up of the request being sealed, run before this table's first statement.</summary>
        public RequestStart? Start { get; set; }

        private Task BeforeStatementAsync(CancellationToken ct) => Start?.EnsureAsync(ct) ?? Task.CompletedTask;

        public async Task<DataKeyLookup?> LatestAsync(string tenant, string masterKeyId, CancellationToken cancellationToken)
        {
            if (_added.TryGetValue((tenant, masterKeyId), out var mine))
            {
                return new DataKeyLookup(mine.KeyId, mine.Wrapped, Committed: false);
            }
            await BeforeStatementAsync(cancellationToken).ConfigureAwait(false);
            return await store.LookupKeyAsync(connection, tx, tenant, null, masterKeyId, cancellationToken).ConfigureAwait(false);
        }

        public async Task<DataKeyLookup?> FindAsync(string tenant, int keyId, string masterKeyId, CancellationToken cancellationToken)
        {
            if (_added.TryGetValue((tenant, masterKeyId), out var mine) && mine.KeyId == keyId)
            {
                return new DataKeyLookup(mine.KeyId, mine.Wrapped, Committed: false);
            }
            await BeforeStatementAsync(cancellationToken).ConfigureAwait(false);
            return await store.LookupKeyAsync(connection, tx, tenant, keyId, masterKeyId, cancellationToken).ConfigureAwait(false);
        }

        public async Task AddAsync(DataKeyRecord key, CancellationToken cancellationToken)
        {
            // A plain INSERT: a concurrent transaction adding the same tenant's key conflicts on
            // the primary key, and the store re-runs this transaction, which then finds that key.
            await BeforeStatementAsync(cancellationToken).ConfigureAwait(false);
            await store.InsertKeyAsync(connection, tx, key, ifAbsent: false, cancellationToken).ConfigureAwait(false);
            _added[(key.Tenant, key.MasterKeyId)] = key;
        }
    }

    /// <summary>The key table on a reader connection (committed rows only).</summary>
    private sealed class ConnectionKeyTable(RelationalFhirStore store, DbConnection connection) : IDataKeyTable
    {
        public Task<DataKeyLookup?> LatestAsync(string tenant, string masterKeyId, CancellationToken cancellationToken) =>
            store.LookupKeyAsync(connection, null, tenant, null, masterKeyId, cancellationToken);

        public Task<DataKeyLookup?> FindAsync(string tenant, int keyId, string masterKeyId, CancellationToken cancellationToken) =>
            store.LookupKeyAsync(connection, null, tenant, keyId, masterKeyId, cancellationToken);

        public Task AddAsync(DataKeyRecord key, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("data keys are created inside write transactions only");
    }
}
