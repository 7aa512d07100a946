using System.Data.Common;
using Meridian.Storage.Relational.Write;

namespace Meridian.Storage.Relational;

public abstract partial class RelationalFhirStore
{
    private const string Savepoint = "request";
    private static readonly TransactResult s_workDone = TransactResult.Committed([]);

    /// <summary>How many group commits this store runs at once (1 on SQLite; PostgreSQL's writer
    /// count): a caller that keeps its own batches (the audit appender) may keep that many in flight.</summary>
    public int ConcurrentWriters => _coalescer.Writers;

    private long _conflictRetries;

    /// <summary>How many transactions this store re-ran after losing a race with a concurrent
    /// writer (unique, serialisation or deadlock error; also metric
    /// <c>meridian.store.conflict_retries</c>). Lock order keeps independent writes at zero.</summary>
    public long ConflictRetryCount => Interlocked.Read(ref _conflictRetries);

    private long _deadlockRetries;

    /// <summary>Of <see cref="ConflictRetryCount"/>, the re-runs the engine forced by breaking a
    /// deadlock (PostgreSQL 40P01). Group commits take their locks in one order, so this stays
    /// zero unless writes of the same resources cross.</summary>
    public long DeadlockRetryCount => Interlocked.Read(ref _deadlockRetries);

    private void CountDeadlock(DbException exception)
    {
        if (IsDeadlock(exception))
        {
            Interlocked.Increment(ref _deadlockRetries);
            StoreTelemetry.DeadlockRetries.Add(1);
        }
    }

    private void CountConflictRetry()
    {
        Interlocked.Increment(ref _conflictRetries);
        StoreTelemetry.ConflictRetries.Add(1);
    }

    /// <summary>
    /// One group commit (docs/adr/0010-group-commit.md). Every request runs in order inside its
    /// own savepoint of ONE database transaction, so it sees the writes of the requests before
    /// it exactly as if they had committed alone; a request that fails rolls back to its
    /// savepoint and gets its own failure, the others are unaffected. The deferred index, chain
    /// and change rows of the successful requests are inserted last, then one commit (one fsync)
    /// makes them all durable, and only then is any caller completed.
    /// A batch may hold several tenants' requests: each runs in its own tenant's data scope
    /// (entered before its savepoint, so rolling the request back keeps it), and the deferred
    /// rows are inserted per tenant, each group in its tenant's scope. Scope and savepoint are
    /// entered only before a request's first statement (<see cref="RequestStart"/>): a request
    /// of server-id creates runs none (docs/adr/0031-deferred-request-writes.md).
    /// </summary>
    private async Task CommitBatchAsync(IReadOnlyList<PendingTransaction> batch)
    {
        using var activity = StoreTelemetry.Source.StartActivity("store.commit");
        activity?.SetTag("meridian.requests", batch.Count);
        // The batch is shared: one caller's cancellation must not abort the others' commit.
        var ct = CancellationToken.None;
        var results = new TransactResult?[batch.Count];
        var errors = new Exception?[batch.Count];
        var requeue = new List<PendingTransaction>();
        var rows = new List<(string Tenant, BatchRows Rows)>(1);
        string? scoped = null;
        var succeeded = 0;
        // A lone request needs no savepoint: if it fails, the whole transaction is rolled back.
        var savepoints = batch.Count > 1;
        await using var lease = await AcquireWriterAsync(ct).ConfigureAwait(false);
        var c = lease.Connection;
        await using var tx = await BeginWriteTransactionAsync(c, ct).ConfigureAwait(false);
        var committedWithRows = false;
        var outcome = new CommitOutcome();
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var p = batch[i];
                if (p.CancellationToken.IsCancellationRequested)
                {
                    errors[i] = new OperationCanceledException(p.CancellationToken);
                    continue;
                }
                if (p.Work is { } work)
                {
                    // A system record write: one statement whose outcome (matched or not) is a
                    // value; it joins the batch's commit and is acknowledged with it.
                    if (scoped != p.Tenant)
                    {
                        await EnterScopeAsync(c, tx, DataScope.Of(p.Tenant), ct).ConfigureAwait(false);
                        scoped = p.Tenant;
                    }
                    p.WorkResult = await work(c, tx, ct).ConfigureAwait(false);
                    results[i] = s_workDone;
                    succeeded++;
                    continue;
                }
                // Scope and savepoint are entered only before the request's first statement
                // (ExecuteAsync): a request whose rows are all deferred runs none of its own.
                var savepoint = false;
                var start = new RequestStart(async token =>
                {
                    if (scoped != p.Tenant)
                    {
                        await EnterScopeAsync(c, tx, DataScope.Of(p.Tenant), token).ConfigureAwait(false);
                        scoped = p.Tenant;
                    }
                    if (savepoints)
                    {
                        await tx.SaveAsync(Savepoint, token).ConfigureAwait(false);
                        savepoint = true;
                    }
                });
                var mine = new BatchRows();
                using var requestSpan = StoreTelemetry.Source.StartActivity("store.commit.request");
                try
                {
                    var (state, result) = await ExecuteAsync(c, tx, p.Tenant, p.Operations, p.Options, mine, start, ct).ConfigureAwait(false);
                    if (state == Attempt.Done && result!.Succeeded)
                    {
                        if (savepoint)
                        {
                            await tx.ReleaseAsync(Savepoint, ct).ConfigureAwait(false);
                        }
                        mine.MergeInto(RowsOf(rows, p.Tenant));
                        results[i] = result;
                        succeeded++;
                        continue;
                    }
                    await UndoRequestAsync(tx, savepoint).ConfigureAwait(false);
                    if (state == Attempt.Done)
                    {
                        results[i] = result;
                    }
                    else
                    {
                        results[i] = Conflicted(p, requeue);
                    }
                }
                catch (DbException ex) when (savepoint && IsTransientConflict(ex))
                {
                    CountDeadlock(ex);
                    await UndoRequestAsync(tx, savepoint).ConfigureAwait(false);
                    results[i] = Conflicted(p, requeue);
                }
                catch (Exception ex) when ((savepoint || ex is not DbException) && ex is not OutOfMemoryException)
                {
                    // An unexpected error fails only its own request (e.g. a contributor threw):
                    // undone to its savepoint, or it had failed no statement (a failed statement
                    // without a savepoint leaves a PostgreSQL transaction aborted: the batch fails).
                    await UndoRequestAsync(tx, savepoint).ConfigureAwait(false);
                    errors[i] = ex;
                }
            }
            if (succeeded > 0)
            {
                using (StoreTelemetry.Source.StartActivity("store.commit.deferred"))
                {
                    // Every chain lock of the batch goes with its first group, in one global
                    // order, before any change-feed lock (DeferredRows: no deadlock between batches).
                    IReadOnlyList<string> chainLocks = ChainLockOrder(rows);
                    for (var g = 0; g < rows.Count; g++)
                    {
                        var (tenant, tenantRows) = rows[g];
                        // The scope goes out with the deferred rows (same round trip on PostgreSQL).
                        var enter = scoped != tenant;
                        scoped = tenant;
                        // The last group may carry the COMMIT in its own round trip (PostgreSQL).
                        committedWithRows = await InsertDeferredAsync(c, tx, Deferred(tenant, enter, tenantRows, chainLocks, outcome, mayCommit: g == rows.Count - 1), ct).ConfigureAwait(false);
                        chainLocks = [];
                    }
                }
                if (!committedWithRows)
                {
                    using (StoreTelemetry.Source.StartActivity("store.commit.durable"))
                    {
                        await tx.CommitAsync(ct).ConfigureAwait(false);
                    }
                }
                outcome.Complete(committed: true);
            }
            else
            {
                await TryRollbackAsync(tx).ConfigureAwait(false);
                outcome.Complete(committed: false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await TryRollbackAsync(tx).ConfigureAwait(false);
            outcome.Complete(committed: false);
            var transient = ex is DbException db && IsTransientConflict(db);
            if (transient)
            {
                CountDeadlock((DbException)ex);
            }
            for (var i = 0; i < batch.Count; i++)
            {
                if (errors[i] is not null || requeue.Contains(batch[i]))
                {
                    continue;
                }
                // Nothing of the batch committed, and even a failure value may have been computed
                // against writes that are now gone: a lost race re-runs every request, any other
                // error (disk full, connection lost) is every request's error.
                if (transient)
                {
                    results[i] = Conflicted(batch[i], requeue);
                }
                else
                {
                    errors[i] = ex;
                }
            }
            succeeded = 0;
        }
        activity?.SetTag("meridian.committed", succeeded);
        if (succeeded > 0)
        {
            var versions = rows.Sum(r => r.Rows.Versions);
            StoreTelemetry.VersionsWritten.Add(versions);
            Statistics.Committed(versions);
            if (rows.Exists(r => r.Rows.DeferredIndexVersions > 0))
            {
                NotifyDeferredIndexer();
            }
        }
        foreach (var p in requeue)
        {
            _coalescer.Requeue(p);
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (errors[i] is OperationCanceledException)
            {
                batch[i].Completion.TrySetCanceled(batch[i].CancellationToken);
            }
            else if (errors[i] is { } error)
            {
                batch[i].Completion.TrySetException(error);
            }
            else if (results[i] is { } result)
            {
                batch[i].Completion.TrySetResult(result);
            }
        }
    }

    /// <summary>The batch's deferred rows of <paramref name="tenant"/> (one group per tenant, in
    /// order of first appearance: index rows replaced by a later request must meet it in one group).</summary>
    private static BatchRows RowsOf(List<(string Tenant, BatchRows Rows)> rows, string tenant)
    {
        foreach (var (t, r) in rows)
        {
            if (t == tenant)
            {
                return r;
            }
        }
        var added = new BatchRows();
        rows.Add((tenant, added));
        return added;
    }

    /// <summary>A request lost a race with a concurrent writer: re-run it in a later batch, or
    /// give up with a Conflict value after <see cref="StoreOptions.MaxConflictRetries"/>.</summary>
    private TransactResult? Conflicted(PendingTransaction p, List<PendingTransaction> requeue)
    {
        CountConflictRetry();
        if (++p.Conflicts > Options.MaxConflictRetries)
        {
            return TransactResult.Failed(new StoreFailure(-1, StoreFailureKind.Conflict, "concurrent writers kept conflicting; retry the request"));
        }
        requeue.Add(p);
        return null;
    }

    /// <summary>The tenants of a batch that append chain links, in the one order every group
    /// commit takes their chain locks (ordinal).</summary>
    internal static string[] ChainLockOrder(List<(string Tenant, BatchRows Rows)> rows)
    {
        var tenants = rows.Where(r => r.Rows.Chained.Count > 0).Select(r => r.Tenant).Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(tenants, StringComparer.Ordinal);
        return tenants;
    }

    private static DeferredRows Deferred(string tenant, bool enterScope, BatchRows rows, IReadOnlyList<string> chainLocks, CommitOutcome? outcome = null, bool mayCommit = false)
    {
        var perTable = rows.IndexRowsPerTable();
        var tables = new List<(TableDefinition, IReadOnlyList<object?[]>)>();
        if (rows.VersionRows.Count > 0)
        {
            tables.Add((s_resources, rows.VersionRows));
        }
        for (var t = 0; t < perTable.Length; t++)
        {
            if (perTable[t].Count > 0)
            {
                tables.Add((IndexTables.All[t], perTable[t]));
            }
        }
        return new DeferredRows(tenant, enterScope ? DataScope.Of(tenant) : null, tables, rows.Chained, s_chain, s_changes, rows.Changes, chainLocks, outcome, mayCommit);
    }

    /// <summary>
    /// Inserts a group commit's deferred rows of one tenant (<see cref="DeferredRows"/>, in its
    /// order): the last statements before the commit. Providers override this to send it in
    /// fewer round trips, keeping that order. Returns true when it also committed the
    /// transaction (only when <see cref="DeferredRows.MayCommit"/>); the shared version never does.
    /// </summary>
    protected virtual async Task<bool> InsertDeferredAsync(DbConnection connection, DbTransaction tx, DeferredRows rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Scope is { } scope)
        {
            await EnterScopeAsync(connection, tx, scope, ct).ConfigureAwait(false);
        }
        foreach (var (table, tableRows) in rows.Tables)
        {
            await InsertRowsAsync(connection, tx, table, tableRows, ct).ConfigureAwait(false);
        }
        foreach (var chainTenant in rows.ChainLocks)
        {
            await LockChainAsync(connection, tx, chainTenant, ct).ConfigureAwait(false);
        }
        if (rows.HasChain)
        {
            await AppendChainAsync(connection, tx, rows, ct).ConfigureAwait(false);
        }
        if (rows.Changes.Count > 0)
        {
            await BeforeChangeFeedAsync(connection, tx, ct).ConfigureAwait(false);
            await InsertRowsAsync(connection, tx, rows.ChangesTable, rows.Changes, ct).ConfigureAwait(false);
        }
        return false;
    }

    private static async Task UndoRequestAsync(DbTransaction tx, bool savepoint)
    {
        if (savepoint)
        {
            // Rolling back to the savepoint also clears PostgreSQL's "transaction aborted" state.
            await tx.RollbackAsync(Savepoint).ConfigureAwait(false);
            await tx.ReleaseAsync(Savepoint).ConfigureAwait(false);
        }
    }

    private static async Task TryRollbackAsync(DbTransaction tx)
    {
        try
        {
            await tx.RollbackAsync().ConfigureAwait(false);
        }
        catch (DbException)
        {
            // The failed transaction may already be aborted server-side; nothing to undo.
        }
        catch (InvalidOperationException)
        {
            // Already completed.
        }
    }
}
