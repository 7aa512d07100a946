namespace Meridian.Storage.Relational.Write;

/// <summary>
/// The rows a group commit inserts once for the whole batch, right before its commit: search
/// index rows (no unique constraints, so they cannot make one request fail) and change-feed
/// rows (so the feed is written in one statement, in batch order, with its ordering lock held
/// only for the commit). Each request fills its own instance inside its savepoint; only a
/// request that succeeded is merged into the batch's instance.
/// </summary>
internal sealed class BatchRows
{
    /// <summary>Index rows of the current version per resource key; an empty list for a
    /// deleted resource. A later request writing the same key replaces the earlier rows, which
    /// then never reach the database (the later request's demote found none to delete).</summary>
    private readonly Dictionary<long, List<(int Table, object?[] Row)>> _index = [];

    public List<object?[]> Changes { get; } = [];

    /// <summary>Version rows of requests that cannot fail once planned (server-assigned-id
    /// creates: fresh id, fresh key), inserted with the batch instead of one statement each.</summary>
    public List<object?[]> VersionRows { get; } = [];

    public int Versions { get; set; }

    /// <summary>Versions of <see cref="StoreOptions.DeferredIndexTypes"/> written without index
    /// rows: after the commit the background indexer is told there is work.</summary>
    public int DeferredIndexVersions { get; set; }

    /// <summary>Versions of chained (audit) types with their write time, in commit order: the
    /// batch appends them to the tenant's hash chain once, in its last statements, so the chain
    /// lock is held only from there to the commit and a request pays no round trip for it.</summary>
    public List<(VersionRow Row, long AtTicks)> Chained { get; } = [];

    public void SetIndex(long key, List<(int Table, object?[] Row)> rows) => _index[key] = rows;

    public void MergeInto(BatchRows batch)
    {
        foreach (var (key, rows) in _index)
        {
            batch._index[key] = rows;
        }
        batch.Changes.AddRange(Changes);
        batch.VersionRows.AddRange(VersionRows);
        batch.Chained.AddRange(Chained);
        batch.Versions += Versions;
        batch.DeferredIndexVersions += DeferredIndexVersions;
    }

    /// <summary>The index rows grouped per table (ordinal in <see cref="IndexTables.All"/>).</summary>
    public List<object?[]>[] IndexRowsPerTable()
    {
        var perTable = new List<object?[]>[IndexTables.All.Length];
        for (var t = 0; t < perTable.Length; t++)
        {
            perTable[t] = [];
        }
        foreach (var rows in _index.Values)
        {
            foreach (var (table, row) in rows)
            {
                perTable[table].Add(row);
            }
        }
        return perTable;
    }
}
