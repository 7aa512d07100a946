using System.Data.Common;

namespace Meridian.Storage.Relational;

public abstract partial class RelationalFhirStore
{
    /// <summary>
    /// Claims the conditional keys of the transaction's conditional creates (table
    /// <c>conditional_keys</c>, migration 0003) inside the write transaction. A claim another
    /// transaction holds waits for it (PostgreSQL's unique index) and then fails with the
    /// holder's id, so of two processes creating "the same" resource only one commits.
    /// </summary>
    private async Task<StoreFailure?> ClaimConditionalKeysAsync(DbConnection c, DbTransaction tx, string tenant, IReadOnlyList<WriteOperation> operations, List<WriteResult> results, CancellationToken ct)
    {
        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not CreateOperation { ConditionalKey: { } key } create)
            {
                continue;
            }
            var id = results.Find(r => r.Index == i)?.Id ?? create.Id;
            if (id is null)
            {
                continue;
            }
            if (await TryClaimAsync(c, tx, tenant, create.Type, key, id, create.TakeOverFrom, ct).ConfigureAwait(false))
            {
                continue;
            }
            var holder = await ClaimHolderAsync(c, tx, tenant, create.Type, key, ct).ConfigureAwait(false);
            return new StoreFailure(i, StoreFailureKind.ConditionalKeyTaken, $"Another {create.Type} ({holder}) was created for the same conditional-create criteria.")
            {
                HolderId = holder,
            };
        }
        return null;
    }

    private async Task<bool> TryClaimAsync(DbConnection c, DbTransaction tx, string tenant, string type, string key, string id, string? takeOverFrom, CancellationToken ct)
    {
        var sql = new SqlBuilder(Dialect);
        if (takeOverFrom is not null)
        {
            sql.Append("UPDATE conditional_keys SET id = ").AppendParam(id)
               .Append(" WHERE tenant = ").AppendParam(tenant).Append(" AND type = ").AppendParam(type)
               .Append(" AND criteria = ").AppendParam(key).Append(" AND id = ").AppendParam(takeOverFrom);
        }
        else
        {
            sql.Append("INSERT INTO conditional_keys (tenant, type, criteria, id) VALUES (")
               .AppendParam(tenant).Append(", ").AppendParam(type).Append(", ").AppendParam(key).Append(", ").AppendParam(id)
               .Append(") ON CONFLICT DO NOTHING");
        }
        await using var cmd = CreateCommand(c, tx, sql.Build());
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    private async Task<string?> ClaimHolderAsync(DbConnection c, DbTransaction tx, string tenant, string type, string key, CancellationToken ct)
    {
        var sql = new SqlBuilder(Dialect);
        sql.Append("SELECT id FROM conditional_keys WHERE tenant = ").AppendParam(tenant).Append(" AND type = ").AppendParam(type)
           .Append(" AND criteria = ").AppendParam(key);
        await using var cmd = CreateCommand(c, tx, sql.Build());
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }
}
