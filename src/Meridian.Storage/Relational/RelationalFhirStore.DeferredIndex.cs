using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using Meridian.Storage.Relational.Sql;
using Meridian.Storage.Relational.Write;
using Meridian.Storage.Search;

namespace Meridian.Storage.Relational;

/// <summary>
/// Deferred search indexing (<see cref="StoreOptions.DeferredIndexTypes"/>,
/// docs/adr/0030-deferred-audit-indexing.md). The write path stores versions of these types
/// without index rows; this indexer walks the change feed past its durable position (table
/// <c>deferred_index</c>, migration 0020), extracts the index of each changed resource's
/// current version from its stored JSON and inserts the rows of a whole batch, and the new
/// position, in one writer transaction per slice of the batch. Searches that can reach such a type call
/// <see cref="AwaitDeferredIndexAsync"/> first.
/// <para>The position row is locked for the pass (one indexer at a time, also across nodes
/// sharing a PostgreSQL database); a crash loses nothing: the pass rolls back and the next one
/// (at start-up, after <see cref="MigrateAsync"/>) starts from the last committed position.
/// Each pass first deletes the resources' existing index rows, so indexing a resource twice
/// (an update seen by two passes) leaves one set of rows.</para>
/// </summary>
public abstract partial class RelationalFhirStore
{
    private const string DeferredIndexName = "search";
    private const int MaxDeferredPasses = 100_000;

    private DeferredIndexLoop? _indexer;

    /// <summary>The change sequence the index is complete through, as this process last saw it
    /// (-1: not yet read). Only grows.</summary>
    private long _indexedThrough = -1;

    /// <summary>The position the deferred index is complete through, as last seen by this process.</summary>
    public long DeferredIndexPosition => Interlocked.Read(ref _indexedThrough);

    private bool HasDeferredIndex => !Options.DeferredIndexTypes.IsDefaultOrEmpty;

    /// <summary>Whether <paramref name="type"/>'s index rows are left to the indexer (counted in
    /// <paramref name="rows"/>, so the commit wakes it).</summary>
    private bool DefersIndexOf(string type, BatchRows rows)
    {
        if (!HasDeferredIndex || !Options.DeferredIndexTypes.Contains(type))
        {
            return false;
        }
        rows.DeferredIndexVersions++;
        return true;
    }

    /// <summary>The index of a version row: the caller's, or extracted here from the stored
    /// JSON for <see cref="ResourceContent.Unindexed"/> content of a type indexed at once.</summary>
    private static ImmutableArray<SearchIndexEntry> IndexEntriesOf(VersionRow row) =>
        row.Index.IsDefault ? ExtractIndex(row.Type, row.Json) : row.Index;

    private static ImmutableArray<SearchIndexEntry> ExtractIndex(string type, ReadOnlyMemory<byte> json) =>
        FhirJsonParser.R4.Parse(json, type).Resource is { } parsed ? SearchIndexer.R4.Extract(parsed) : [];

    /// <summary>The background indexer, created on first use (stores without deferred types have none).</summary>
    private DeferredIndexLoop Indexer =>
        Volatile.Read(ref _indexer) ?? Interlocked.CompareExchange(ref _indexer, new DeferredIndexLoop(IndexDeferredAsync, Options.DeferredIndexDelay), null) ?? _indexer!;

    /// <summary>Wakes the background indexer: it gathers for
    /// <see cref="StoreOptions.DeferredIndexDelay"/>, then indexes everything committed.</summary>
    private void NotifyDeferredIndexer()
    {
        if (HasDeferredIndex)
        {
            Indexer.Notify();
        }
    }

    private async Task StopDeferredIndexerAsync()
    {
        if (Volatile.Read(ref _indexer) is { } indexer)
        {
            await indexer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Indexes every deferred-type change committed before the call and returns the position
    /// the index is then complete through. The background indexer calls this; tests and tools
    /// may too.
    /// </summary>
    public Task<long> IndexDeferredAsync(CancellationToken cancellationToken = default) =>
        IndexDeferredThroughAsync(long.MaxValue, cancellationToken);

    /// <summary>Runs passes until the index is complete through <paramref name="target"/> (or
    /// through the head as of each pass, whichever comes first).</summary>
    private async Task<long> IndexDeferredThroughAsync(long target, CancellationToken ct)
    {
        if (!HasDeferredIndex)
        {
            return 0;
        }
        var indexer = Indexer;
        await indexer.EnterAsync(ct).ConfigureAwait(false);
        try
        {
            for (var pass = 0; pass < MaxDeferredPasses && Interlocked.Read(ref _indexedThrough) < target; pass++)
            {
                var (position, caughtUp) = await IndexPassAsync(ct).ConfigureAwait(false);
                AdvanceIndexedThrough(position);
                if (caughtUp)
                {
                    break;
                }
            }
            return Interlocked.Read(ref _indexedThrough);
        }
        finally
        {
            indexer.Exit();
        }
    }

    private void AdvanceIndexedThrough(long position)
    {
        var seen = Interlocked.Read(ref _indexedThrough);
        while (position > seen)
        {
            var was = Interlocked.CompareExchange(ref _indexedThrough, position, seen);
            if (was == seen)
            {
                return;
            }
            seen = was;
        }
    }

    /// <summary>
    /// Before a search that can reach a deferred type (<see cref="DeferredIndexScope"/>): the
    /// tenant's last change of those types as of now, on the search's own connection, and if the
    /// index is not complete through it, index until it is (bounded by
    /// <see cref="StoreOptions.DeferredIndexWait"/>).
    /// </summary>
    private async Task AwaitDeferredIndexAsync(DbConnection connection, string tenant, SearchQuery query, CancellationToken ct)
    {
        if (!DeferredIndexScope.Touches(query, Options.DeferredIndexTypes))
        {
            return;
        }
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(Options.DeferredIndexWait);
        try
        {
            var known = Interlocked.Read(ref _indexedThrough);
            if (known < 0)
            {
                // First search of this process: learn the position (and index what is pending).
                known = await IndexDeferredThroughAsync(long.MaxValue, bounded.Token).ConfigureAwait(false);
            }
            // Only the changes past the known position are scanned (a few at most, usually none).
            var sql = new SqlBuilder(Dialect);
            sql.Append("SELECT seq FROM changes WHERE seq > ").AppendParam(known).Append(" AND tenant = ").AppendParam(tenant)
               .Append(" AND ").Append(TypeIn(sql)).Append(" ORDER BY seq DESC LIMIT 1");
            long head;
            await using (var cmd = CreateCommand(connection, null, sql.Build()))
            {
                head = await cmd.ExecuteScalarAsync(bounded.Token).ConfigureAwait(false) is { } value and not DBNull
                    ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
                    : 0;
            }
            if (head > Interlocked.Read(ref _indexedThrough))
            {
                await IndexDeferredThroughAsync(head, bounded.Token).ConfigureAwait(false);
            }
            if (Interlocked.Read(ref _indexedThrough) < head)
            {
                throw DeferredIndexTimeout($"did not catch up to change {head}");
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw DeferredIndexTimeout($"did not catch up within {Options.DeferredIndexWait}");
        }
    }

    private long _deferredIndexTimeouts;

    /// <summary>How many searches gave up waiting for the deferred indexer
    /// (<see cref="DeferredIndexTimeoutException"/>).</summary>
    public long DeferredIndexTimeoutCount => Interlocked.Read(ref _deferredIndexTimeouts);

    private DeferredIndexTimeoutException DeferredIndexTimeout(string what)
    {
        Interlocked.Increment(ref _deferredIndexTimeouts);
        StoreTelemetry.DeferredIndexTimeouts.Add(1);
        // A client may retry once the indexer had as long again: it has usually caught up by then.
        var retryAfter = TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(Options.DeferredIndexWait.TotalSeconds), 1, 120));
        return new DeferredIndexTimeoutException($"the search index of {string.Join(", ", Options.DeferredIndexTypes)} {what}", retryAfter);
    }

    private string TypeIn(SqlBuilder sql)
    {
        var list = new StringBuilder("type IN (");
        for (var i = 0; i < Options.DeferredIndexTypes.Length; i++)
        {
            list.Append(i > 0 ? ", " : "").Append(sql.Param(Options.DeferredIndexTypes[i]));
        }
        return list.Append(')').ToString();
    }

    /// <summary>One indexer pass: up to <see cref="StoreOptions.DeferredIndexBatch"/> deferred
    /// changes past the position. Returns the new position and whether it reached the head as of
    /// the pass.
    /// <para>The work is split so that the CPU of decrypting, parsing and extracting never holds
    /// the writer (SQLite has one, and audited reads wait for it): the changes and their current
    /// versions are read and their index rows built on a reader connection first; the writer then
    /// only locks the position and the resources, checks that nothing moved meanwhile (another
    /// indexer, or a new version of one of them, which is then extracted again under the lock),
    /// replaces the index rows and advances the position, in one transaction per
    /// <see cref="StoreOptions.DeferredIndexWriteChunk"/> changes.</para></summary>
    private async Task<(long Position, bool CaughtUp)> IndexPassAsync(CancellationToken ct)
    {
        // The pass span covers the reader part; each writer slice has its own span and its
        // writer hold time in a histogram, since that hold is what other writers wait for.
        using var passSpan = StoreTelemetry.Source.StartActivity("store.index.deferred");
        long position;
        long head;
        List<(long Seq, string Tenant, string Type, string Id)> changes;
        var prepared = new Dictionary<string, Dictionary<(string Type, string Id), (long Key, List<(int Table, object?[] Row)> Rows)>>(StringComparer.Ordinal);
        await using (var reader = await OpenScopedReaderAsync(DataScope.System, ct).ConfigureAwait(false))
        {
            position = await ScalarAsync(reader, null, new SqlBuilder(Dialect).Append("SELECT position FROM deferred_index WHERE name = ")
                .AppendParam(DeferredIndexName), ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException("the deferred_index table has no position row (migration 0020)");
            // Sequence order is commit order (ADR 0019), so every change up to a committed head is committed.
            head = await ScalarAsync(reader, null, new SqlBuilder(Dialect).Append("SELECT MAX(seq) FROM changes"), ct).ConfigureAwait(false) ?? 0;
            if (head <= position)
            {
                return (position, true);
            }
            changes = await DeferredChangesAsync(reader, position, head, ct).ConfigureAwait(false);
            foreach (var group in changes.GroupBy(ch => ch.Tenant, StringComparer.Ordinal))
            {
                prepared[group.Key] = await ExtractCurrentAsync(reader, null, group.Key, [.. group.Select(ch => (ch.Type, ch.Id)).Distinct()], ct).ConfigureAwait(false);
            }
        }
        passSpan?.SetTag("meridian.changes", changes.Count);
        var caughtUp = changes.Count < Math.Max(1, Options.DeferredIndexBatch);
        var next = caughtUp ? head : changes[^1].Seq;

        // The writer part goes in slices of DeferredIndexWriteChunk changes, one transaction
        // each, releasing the writer between them: on SQLite (one writer) a 2,000-change pass
        // in one transaction held the writer for as long as it took to replace ~30,000 index
        // rows, and every group commit (the audited reads' own AuditEvents) queued behind it.
        // Each slice advances the position to its last change: every resource changed up to
        // there was prepared at a version at least that new, so the index is complete through it.
        var chunk = Math.Max(1, Options.DeferredIndexWriteChunk);
        var done = new HashSet<(string Tenant, string Type, string Id)>();
        var expected = position;
        for (var from = 0; from < changes.Count || from == 0; from += chunk)
        {
            var to = Math.Min(from + chunk, changes.Count);
            var last = to >= changes.Count;
            var sliceEnd = last ? next : changes[to - 1].Seq;
            var slice = new Dictionary<string, Dictionary<(string Type, string Id), (long Key, List<(int Table, object?[] Row)> Rows)>>(StringComparer.Ordinal);
            for (var i = from; i < to; i++)
            {
                var (_, tenant, type, id) = changes[i];
                if (!done.Add((tenant, type, id)))
                {
                    continue;
                }
                if (!slice.TryGetValue(tenant, out var mine))
                {
                    slice[tenant] = mine = [];
                }
                if (prepared.TryGetValue(tenant, out var all) && all.TryGetValue((type, id), out var entry))
                {
                    mine[(type, id)] = entry;
                }
            }
            var (moved, locked) = await WriteIndexSliceAsync(expected, sliceEnd, to - from, slice, ct).ConfigureAwait(false);
            if (moved)
            {
                // Another indexer (another node) moved the position since the read: start over from it.
                return (locked, false);
            }
            expected = sliceEnd;
            StoreTelemetry.DeferredIndexed.Add(to - from);
            if (last)
            {
                break;
            }
            // A position reached is a position others may use at once (a waiting search).
            AdvanceIndexedThrough(sliceEnd);
        }
        return (next, caughtUp);
    }

    /// <summary>One writer transaction of a pass: checks the position is still
    /// <paramref name="expected"/> (else returns it, moved), replaces the slice's index rows and
    /// sets the position to <paramref name="through"/>.</summary>
    private async Task<(bool Moved, long Position)> WriteIndexSliceAsync(long expected, long through, int changeCount,
        Dictionary<string, Dictionary<(string Type, string Id), (long Key, List<(int Table, object?[] Row)> Rows)>> slice, CancellationToken ct)
    {
        using var span = StoreTelemetry.Source.StartActivity("store.index.deferred.slice");
        span?.SetTag("meridian.changes", changeCount);
        span?.SetTag("meridian.through", through);
        await using var lease = await AcquireWriterAsync(ct).ConfigureAwait(false);
        var held = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            return await WriteIndexSliceAsync(lease.Connection, expected, through, slice, ct).ConfigureAwait(false);
        }
        finally
        {
            StoreTelemetry.DeferredIndexSliceHeld.Record(System.Diagnostics.Stopwatch.GetElapsedTime(held).TotalMilliseconds);
        }
    }

    private async Task<(bool Moved, long Position)> WriteIndexSliceAsync(DbConnection c, long expected, long through,
        Dictionary<string, Dictionary<(string Type, string Id), (long Key, List<(int Table, object?[] Row)> Rows)>> slice, CancellationToken ct)
    {
        await using var tx = await BeginWriteTransactionAsync(c, DataScope.System, ct).ConfigureAwait(false);
        var locked = await ScalarAsync(c, tx, new SqlBuilder(Dialect).Append("SELECT position FROM deferred_index WHERE name = ")
            .AppendParam(DeferredIndexName).Append(Dialect.ForUpdate), ct).ConfigureAwait(false) ?? 0;
        if (locked != expected)
        {
            await tx.RollbackAsync(ct).ConfigureAwait(false);
            return (true, locked);
        }
        foreach (var (tenant, resources) in slice)
        {
            await ReplaceIndexAsync(c, tx, tenant, resources, ct).ConfigureAwait(false);
        }
        var update = new SqlBuilder(Dialect);
        update.Append("UPDATE deferred_index SET position = ").AppendParam(through).Append(" WHERE name = ").AppendParam(DeferredIndexName);
        await using (var cmd = CreateCommand(c, tx, update.Build()))
        {
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return (false, through);
    }

    private async Task<List<(long Seq, string Tenant, string Type, string Id)>> DeferredChangesAsync(DbConnection c, long position, long head, CancellationToken ct)
    {
        var changes = new List<(long Seq, string Tenant, string Type, string Id)>();
        var sql = new SqlBuilder(Dialect);
        sql.Append("SELECT seq, tenant, type, id FROM changes WHERE seq > ").AppendParam(position).Append(" AND seq <= ").AppendParam(head)
           .Append(" AND ").Append(TypeIn(sql)).Append(" ORDER BY seq LIMIT ").AppendParam((long)Math.Max(1, Options.DeferredIndexBatch));
        await using var cmd = CreateCommand(c, null, sql.Build());
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            changes.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        return changes;
    }

    /// <summary>The named resources' current versions (locked when <paramref name="tx"/> is a
    /// write transaction) with their index rows; a deleted resource has none.</summary>
    private async Task<Dictionary<(string Type, string Id), (long Key, List<(int Table, object?[] Row)> Rows)>> ExtractCurrentAsync(
        DbConnection c, DbTransaction? tx, string tenant, List<(string Type, string Id)> resources, CancellationToken ct)
    {
        const int chunk = 500;
        var found = new Dictionary<(string Type, string Id), (long Key, List<(int Table, object?[] Row)> Rows)>();
        for (var start = 0; start < resources.Count; start += chunk)
        {
            var end = Math.Min(start + chunk, resources.Count);
            var sql = new SqlBuilder(Dialect);
            sql.Append($"SELECT {SearchSqlGenerator.ResourceColumns} FROM resources WHERE ");
            AppendCurrentOf(sql, tenant, resources, start, end);
            if (tx is not null)
            {
                sql.Append(Dialect.ForUpdate);
            }
            var keys = new List<long>();
            var rows = await QueryResourcesAsync(c, tx, tenant, sql.Build(), ct, keys).ConfigureAwait(false);
            for (var i = 0; i < rows.Length; i++)
            {
                var entries = rows[i].IsDeleted ? [] : ExtractIndex(rows[i].Type, rows[i].Json);
                found[(rows[i].Type, rows[i].Id)] = (keys[i], IndexTables.RowsOf(tenant, keys[i], rows[i].Type, entries, Dialect));
            }
        }
        return found;
    }

    /// <summary>Replaces the index rows of the prepared resources' current versions, under the
    /// writer: their current rows are locked (a concurrent writer of one of them runs before or
    /// after, never between) and any that got a new version since they were prepared is
    /// extracted again here.</summary>
    private async Task ReplaceIndexAsync(DbConnection c, DbTransaction tx, string tenant,
        Dictionary<(string Type, string Id), (long Key, List<(int Table, object?[] Row)> Rows)> prepared, CancellationToken ct)
    {
        const int chunk = 500;
        var names = prepared.Keys.ToList();
        for (var start = 0; start < names.Count; start += chunk)
        {
            var end = Math.Min(start + chunk, names.Count);
            var sql = new SqlBuilder(Dialect);
            sql.Append("SELECT type, id, resource_key FROM resources WHERE ");
            AppendCurrentOf(sql, tenant, names, start, end).Append(Dialect.ForUpdate);
            var current = new List<((string Type, string Id) Name, long Key)>();
            await using (var cmd = CreateCommand(c, tx, sql.Build()))
            await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    current.Add(((reader.GetString(0), reader.GetString(1)), reader.GetInt64(2)));
                }
            }
            if (current.Count == 0)
            {
                continue;
            }
            var moved = current.Where(r => !prepared.TryGetValue(r.Name, out var p) || p.Key != r.Key).Select(r => r.Name).ToList();
            var again = moved.Count == 0 ? null : await ExtractCurrentAsync(c, tx, tenant, moved, ct).ConfigureAwait(false);
            var delete = new SqlBuilder(Dialect);
            var inKeys = Dialect.InKeys(delete, "resource_key", [.. current.Select(r => r.Key)]);
            var text = new StringBuilder();
            foreach (var table in IndexTables.All)
            {
                text.Append($"DELETE FROM {table.Name} WHERE {inKeys};\n");
            }
            await using (var cmd = CreateCommand(c, tx, delete.Build() with { Text = text.ToString() }))
            {
                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            var perTable = new List<object?[]>[IndexTables.All.Length];
            for (var t = 0; t < perTable.Length; t++)
            {
                perTable[t] = [];
            }
            foreach (var (name, key) in current)
            {
                var rows = again is not null && again.TryGetValue(name, out var fresh) && fresh.Key == key ? fresh.Rows
                    : prepared.TryGetValue(name, out var p) && p.Key == key ? p.Rows
                    : [];
                foreach (var (table, row) in rows)
                {
                    perTable[table].Add(row);
                }
            }
            for (var t = 0; t < perTable.Length; t++)
            {
                if (perTable[t].Count > 0)
                {
                    await InsertRowsAsync(c, tx, IndexTables.All[t], perTable[t], ct).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<long?> ScalarAsync(DbConnection c, DbTransaction? tx, SqlBuilder sql, CancellationToken ct)
    {
        await using var cmd = CreateCommand(c, tx, sql.Build());
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is { } value and not DBNull
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture)
            : null;
    }
}
