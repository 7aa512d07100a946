using System.Collections.Immutable;
using System.Data.Common;
using Meridian.Storage.Relational.Write;

namespace Meridian.Storage.Relational;

/// <summary>The audit hash chain (<see cref="AuditChain"/>): appended once per group commit with
/// its deferred rows, right before the commit, so the per-tenant chain lock is held only from
/// the append to the commit and no request pays a round trip of its own for it.</summary>
public abstract partial class RelationalFhirStore : IAuditChainReader
{
    private static readonly TableDefinition s_chain = new("audit_chain", ["tenant", "seq", "type", "id", "version", "at", "record_hash", "prev_hash", "hash"]);

    /// <summary>Serialises chain appends of one tenant until commit (PostgreSQL advisory lock);
    /// SQLite's single writer already does.</summary>
    protected virtual Task LockChainAsync(DbConnection connection, DbTransaction tx, string tenant, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Queues the chained (audit) versions of a request for the batch's one chain append
    /// (<see cref="DeferredRows"/>): a request rolled back to its savepoint never reaches it.</summary>
    private void DeferChain(BatchRows deferred, List<VersionRow> rows, long nowTicks)
    {
        if (Options.ChainedTypes.IsDefaultOrEmpty)
        {
            return;
        }
        foreach (var row in rows)
        {
            if (Options.ChainedTypes.Contains(row.Type))
            {
                deferred.Chained.Add((row, nowTicks));
            }
        }
    }

    /// <summary>Appends the batch's chained versions of one tenant: head read, links (its chain
    /// lock is held: the batch's first group took it, <see cref="DeferredRows.ChainLocks"/>).</summary>
    private async Task AppendChainAsync(DbConnection c, DbTransaction tx, DeferredRows rows, CancellationToken ct)
    {
        long seq = 0;
        var previous = AuditChain.Genesis.ToArray();
        var head = new SqlBuilder(Dialect);
        head.Append("SELECT seq, hash FROM audit_chain WHERE tenant = ").AppendParam(rows.Tenant).Append(" ORDER BY seq DESC LIMIT 1");
        await using (var cmd = CreateCommand(c, tx, head.Build()))
        await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            if (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                seq = reader.GetInt64(0);
                previous = reader.GetFieldValue<byte[]>(1);
            }
        }
        await InsertRowsAsync(c, tx, rows.ChainTable, rows.ChainRows(seq, previous), ct).ConfigureAwait(false);
    }

    public async Task<ImmutableArray<string>> ChainTenantsAsync(IReadOnlyList<string> types, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(types);
        var sql = new SqlBuilder(Dialect);
        sql.Append("SELECT DISTINCT tenant FROM audit_chain");
        foreach (var type in types)
        {
            sql.Append(" UNION SELECT DISTINCT tenant FROM resources WHERE type = ").AppendParam(type);
        }
        // The verifier's list of tenants spans them all: the one chain read that needs the system scope.
        await using var connection = await OpenReaderAsync(DataScope.System, cancellationToken).ConfigureAwait(false);
        await using var cmd = CreateCommand(connection, null, sql.Build());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(reader.GetString(0));
        }
        list.Sort(StringComparer.Ordinal);
        return [.. list];
    }

    public async Task<ImmutableArray<ChainLink>> ReadChainAsync(string tenant, long afterSequence, int max, CancellationToken cancellationToken = default)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append("SELECT a.seq, a.type, a.id, a.version, a.at, a.record_hash, a.prev_hash, a.hash, r.json FROM audit_chain a")
           .Append(" LEFT JOIN resources r ON r.tenant = a.tenant AND r.type = a.type AND r.id = a.id AND r.version = a.version")
           .Append(" WHERE a.tenant = ").AppendParam(tenant).Append(" AND a.seq > ").AppendParam(afterSequence)
           .Append(" ORDER BY a.seq LIMIT ").AppendParam((long)Math.Clamp(max, 1, 100_000));
        await using var connection = await OpenReaderAsync(DataScope.Of(tenant), cancellationToken).ConfigureAwait(false);
        await using var cmd = CreateCommand(connection, null, sql.Build());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<ChainLink>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ChainLink(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt64(3),
                new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero),
                reader.GetFieldValue<byte[]>(5), reader.GetFieldValue<byte[]>(6), reader.GetFieldValue<byte[]>(7),
                // Typed null: a null byte[] would convert to an empty, non-null memory.
                reader.IsDBNull(8) ? (ReadOnlyMemory<byte>?)null : reader.GetFieldValue<byte[]>(8)));
        }
        await reader.DisposeAsync().ConfigureAwait(false);
        return await OpenChainJsonAsync(connection, tenant, list.DrainToImmutable(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The chain hashes each record's plaintext, so with encryption at rest the sealed JSON is
    /// opened first (same connection, reader closed). A payload that fails authentication keeps
    /// its stored bytes: its hash then mismatches and the verifier reports the record changed.
    /// </summary>
    private async Task<ImmutableArray<ChainLink>> OpenChainJsonAsync(DbConnection connection, string tenant, ImmutableArray<ChainLink> links, CancellationToken ct)
    {
        if (Options.Protector is not { } protector || links.IsEmpty)
        {
            return links;
        }
        var keys = new ConnectionKeyTable(this, connection);
        var open = ImmutableArray.CreateBuilder<ChainLink>(links.Length);
        foreach (var link in links)
        {
            if (link.Json is not { } sealedJson)
            {
                open.Add(link);
                continue;
            }
            try
            {
                var plaintext = await protector.UnprotectAsync(new Protection.PayloadAddress(tenant, link.Type, link.Id, link.VersionId), sealedJson, keys, ct).ConfigureAwait(false);
                open.Add(link with { Json = plaintext });
            }
            catch (Protection.PayloadProtectionException)
            {
                open.Add(link);
            }
        }
        return open.MoveToImmutable();
    }

    public async Task<ImmutableArray<UnchainedVersion>> ReadUnchainedAsync(string tenant, IReadOnlyList<string> types, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(types);
        if (types.Count == 0)
        {
            return [];
        }
        var sql = new SqlBuilder(Dialect);
        sql.Append("SELECT r.type, r.id, r.version, r.last_updated FROM resources r WHERE r.tenant = ").AppendParam(tenant).Append(" AND r.type IN (");
        for (var i = 0; i < types.Count; i++)
        {
            sql.Append(i > 0 ? ", " : "").AppendParam(types[i]);
        }
        sql.Append(") AND NOT EXISTS (SELECT 1 FROM audit_chain a WHERE a.tenant = r.tenant AND a.type = r.type AND a.id = r.id AND a.version = r.version)")
           .Append(" ORDER BY r.last_updated, r.type, r.id, r.version LIMIT ").AppendParam((long)Math.Clamp(max, 1, 100_000));
        await using var connection = await OpenReaderAsync(DataScope.Of(tenant), cancellationToken).ConfigureAwait(false);
        await using var cmd = CreateCommand(connection, null, sql.Build());
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = ImmutableArray.CreateBuilder<UnchainedVersion>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new UnchainedVersion(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero)));
        }
        return list.DrainToImmutable();
    }
}
