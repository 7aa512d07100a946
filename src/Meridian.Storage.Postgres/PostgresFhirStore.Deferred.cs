using System.Data.Common;
using System.Runtime.CompilerServices;
using Meridian.Storage.Relational;
using Meridian.Storage.Relational.Write;
using Npgsql;
using NpgsqlTypes;

namespace Meridian.Storage.Postgres;

/// <summary>The end of a PostgreSQL group commit: deferred rows, audit chain, change feed and
/// COMMIT in as few round trips as possible, with the locks held as briefly as possible.</summary>
public sealed partial class PostgresFhirStore
{
    /// <summary>Deferred rows up to which they share the round trip of the chain locks (see
    /// <see cref="InsertDeferredAsync"/>): a request's handful of version, index, audit rows.</summary>
    private const int RowsWithLocks = 64;

    private ChainHeads? _chainHeadsOnce;

    /// <summary>Created on first use: it reads the options' clock (a field initializer cannot).</summary>
    private ChainHeads ChainHeadGuesses => LazyInitializer.EnsureInitialized(ref _chainHeadsOnce, () => new ChainHeads(Options.Clock));

    /// <summary>Serialises a group commit's chain guess with the grant of its chain locks
    /// (<see cref="ChainHeads"/>); held for one partial round trip, never across a commit.</summary>
    private readonly SemaphoreSlim _chainTurnstile = new(1, 1);

    /// <summary>Per group commit reading chain heads under the lock: the head each tenant's
    /// links end at, made the known head once the batch commits.</summary>
    private readonly ConditionalWeakTable<CommitOutcome, Dictionary<string, (long Sequence, byte[] Hash)>> _readHeads = new();

    /// <summary>
    /// A group commit's deferred rows, the last round trip also COMMITting when this is the
    /// batch's last group (<see cref="DeferredRows.MayCommit"/>). The first round trip carries
    /// the tenant scope and every version and index row (one INSERT per table: multi-row for a
    /// few rows, one <c>unnest</c> per table beyond); a batch that wrote audit records adds the
    /// chain locks (the batch's first group takes every tenant's, sorted:
    /// <see cref="DeferredRows.ChainLocks"/>). When the tenant's chain head is known
    /// (<see cref="ChainHeads"/>), the links computed from it follow in the same round trip
    /// behind the database's check of that head, then the change-feed lock, the change rows and
    /// COMMIT: the locks are held only while PostgreSQL runs the end of one pipeline. Otherwise
    /// the head is read under the lock and the links, change rows and COMMIT follow in a second
    /// round trip. Without audit records everything is one round trip, COMMIT included.
    /// </summary>
    protected override async Task<bool> InsertDeferredAsync(DbConnection connection, DbTransaction tx, DeferredRows rows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var c = (NpgsqlConnection)connection;
        var t = (NpgsqlTransaction)tx;
        await using var first = new NpgsqlBatch(c, t);
        if (rows.Scope is { } scope)
        {
            var enter = new NpgsqlBatchCommand("SELECT set_config('meridian.tenant', $1, true), set_config('meridian.scope', $2, true)");
            enter.Parameters.Add(new NpgsqlParameter { Value = scope.Kind == DataScopeKind.Tenant ? scope.Tenant : "", NpgsqlDbType = NpgsqlDbType.Text });
            enter.Parameters.Add(new NpgsqlParameter { Value = ScopeSetting(scope.Kind), NpgsqlDbType = NpgsqlDbType.Text });
            first.BatchCommands.Add(enter);
        }
        foreach (var (table, tableRows) in rows.Tables)
        {
            await AddInsertAsync(first, c, t, table, tableRows, ct).ConfigureAwait(false);
        }
        if (rows.ChainLocks.Count == 0 || rows.Outcome is not { } outcome)
        {
            if (!rows.HasChain)
            {
                return await FinishAsync(first, rows, ct).ConfigureAwait(false);
            }
            if (rows.Outcome is null)
            {
                // Outside a group commit (a purge's audit record; its chain lock is held):
                // appended below from the head read here, so no guess of this head stands.
                ChainHeadGuesses.Forget(rows.Tenant);
            }
            return await AppendReadingHeadAsync(first, rows, c, t, releaseAfterLocks: null, ct).ConfigureAwait(false);
        }
        // The turnstile is held from the guess (or the decision to read the head) until the
        // database has granted this batch's chain locks: this store's batches reach the locks in
        // the order they guessed, each building on the one before (ChainHeads). Many rows (an
        // ingest Bundle) go in first, in a round trip of their own, so that inserting them never
        // holds the turnstile; a few ride with the locks.
        await using var locked = RowCount(rows) > RowsWithLocks ? new NpgsqlBatch(c, t) : null;
        if (locked is not null)
        {
            await ExecuteAsync(first, ct).ConfigureAwait(false);
        }
        var pipeline = locked ?? first;
        await _chainTurnstile.WaitAsync(ct).ConfigureAwait(false);
        var turnstile = new Turnstile(_chainTurnstile);
        try
        {
            // The batch's chain locks (its first group only), one command each in their global
            // order, before the change-feed lock (DeferredRows: group commits cannot deadlock).
            foreach (var chainTenant in rows.ChainLocks)
            {
                var lockChain = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0)) AS chain_locked");
                lockChain.Parameters.Add(new NpgsqlParameter { Value = ChainLockName(chainTenant), NpgsqlDbType = NpgsqlDbType.Text });
                pipeline.BatchCommands.Add(lockChain);
            }
            var reservation = rows.HasChain && rows.MayCommit && rows.ChainLocks.Count == 1 && rows.ChainLocks[0] == rows.Tenant
                ? ChainHeadGuesses.Reserve(rows)
                : null;
            if (reservation is null)
            {
                BeginReads(rows, outcome);
                if (!rows.HasChain)
                {
                    // Another tenant's group of this batch appends links later (never the last).
                    AddChanges(pipeline, rows);
                    await ReadThroughAsync(pipeline, rows.ChainLocks.Count, turnstile, ct).ConfigureAwait(false);
                    return false;
                }
                return await AppendReadingHeadAsync(pipeline, rows, c, t, turnstile, ct).ConfigureAwait(false);
            }
            outcome.OnCompleted(committed => ChainHeadGuesses.Resolve(reservation, committed));
            var expect = new NpgsqlBatchCommand("SELECT meridian_chain_expect($1, $2, $3)");
            expect.Parameters.Add(new NpgsqlParameter { Value = rows.Tenant, NpgsqlDbType = NpgsqlDbType.Text });
            expect.Parameters.Add(new NpgsqlParameter { Value = reservation.ExpectedSequence, NpgsqlDbType = NpgsqlDbType.Bigint });
            expect.Parameters.Add(new NpgsqlParameter { Value = reservation.ExpectedHash, NpgsqlDbType = NpgsqlDbType.Bytea });
            pipeline.BatchCommands.Add(expect);
            await AddInsertAsync(pipeline, c, t, rows.ChainTable, reservation.Links, ct).ConfigureAwait(false);
            AddChanges(pipeline, rows);
            pipeline.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await ReadThroughAsync(pipeline, rows.ChainLocks.Count, turnstile, ct).ConfigureAwait(false);
            return true;
        }
        finally
        {
            turnstile.Release();
        }
    }

    private static int RowCount(DeferredRows rows)
    {
        var count = 0;
        foreach (var (_, tableRows) in rows.Tables)
        {
            count += tableRows.Count;
        }
        return count;
    }

    /// <summary>Every tenant whose chain lock this batch takes will have its head read under the
    /// lock (in this group or a later one): no guesses until then; the group that reads a head
    /// records it (<see cref="_readHeads"/>) and the commit makes it the known head.</summary>
    private void BeginReads(DeferredRows rows, CommitOutcome outcome)
    {
        var heads = _readHeads.GetOrCreateValue(outcome);
        foreach (var tenant in rows.ChainLocks)
        {
            ChainHeadGuesses.BeginRead(tenant);
            outcome.OnCompleted(committed =>
            {
                (long Sequence, byte[] Hash) head;
                lock (heads)
                {
                    heads.TryGetValue(tenant, out head);
                }
                ChainHeadGuesses.EndRead(tenant, committed, head.Sequence, head.Hash);
            });
        }
    }

    /// <summary>Reads the chain head under the (held) lock, then appends the links computed from
    /// it, the change rows and, for the last group, COMMIT in a second round trip.</summary>
    private async Task<bool> AppendReadingHeadAsync(NpgsqlBatch first, DeferredRows rows, NpgsqlConnection c, NpgsqlTransaction t, Turnstile? releaseAfterLocks, CancellationToken ct)
    {
        var head = new NpgsqlBatchCommand("SELECT seq AS chain_seq, hash AS chain_hash FROM audit_chain WHERE tenant = $1 ORDER BY seq DESC LIMIT 1");
        head.Parameters.Add(new NpgsqlParameter { Value = rows.Tenant, NpgsqlDbType = NpgsqlDbType.Text });
        first.BatchCommands.Add(head);
        var (seq, previous) = await ReadThroughAsync(first, rows.ChainLocks.Count, releaseAfterLocks, ct).ConfigureAwait(false);
        var links = rows.ChainRows(seq, previous);
        if (rows.Outcome is { } outcome && _readHeads.TryGetValue(outcome, out var heads))
        {
            var last = links[^1];
            lock (heads)
            {
                heads[rows.Tenant] = ((long)last[1]!, (byte[])last[8]!);
            }
        }
        await using var second = new NpgsqlBatch(c, t);
        await AddInsertAsync(second, c, t, rows.ChainTable, links, ct).ConfigureAwait(false);
        return await FinishAsync(second, rows, ct).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="batch"/> to its end, releasing the turnstile (if any) as soon
    /// as the database has granted its <paramref name="chainLocks"/> chain locks (their rows
    /// arrive in statement order, each only once its lock is held), and returns the chain head
    /// if the batch read one (genesis if the chain is empty). Errors of later statements surface here.</summary>
    private static async Task<(long Sequence, byte[] Hash)> ReadThroughAsync(NpgsqlBatch batch, int chainLocks, Turnstile? turnstile, CancellationToken ct)
    {
        long seq = 0;
        byte[] hash = [.. AuditChain.Genesis];
        var locks = 0;
        await using var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
        // One result per command, in order, as the database runs them.
        do
        {
            if (reader.FieldCount == 1 && reader.GetName(0) == "chain_locked" && await reader.ReadAsync(ct).ConfigureAwait(false)
                && ++locks == chainLocks)
            {
                turnstile?.Release();
            }
            if (reader.FieldCount == 2 && reader.GetName(0) == "chain_seq" && await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                seq = reader.GetInt64(0);
                hash = reader.GetFieldValue<byte[]>(1);
            }
        }
        while (await reader.NextResultAsync(ct).ConfigureAwait(false));
        return (seq, hash);
    }

    /// <summary>The held chain turnstile, released once.</summary>
    private sealed class Turnstile(SemaphoreSlim semaphore)
    {
        private int _released;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }

    /// <summary>
    /// Appends the change-feed lock and rows and, for the batch's last group, COMMIT, then runs
    /// the batch. Npgsql sends the commands as one pipeline with one Sync: if any fails the
    /// server skips the rest, COMMIT included, and the transaction is rolled back by the caller;
    /// Npgsql tracks the COMMIT from the server's transaction status, so the transaction object
    /// is completed afterwards and the group commit must not commit it again (returns true).
    /// </summary>
    private static async Task<bool> FinishAsync(NpgsqlBatch batch, DeferredRows rows, CancellationToken ct)
    {
        AddChanges(batch, rows);
        if (rows.MayCommit)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        }
        await ExecuteAsync(batch, ct).ConfigureAwait(false);
        return rows.MayCommit;
    }

    private static async Task ExecuteAsync(NpgsqlBatch batch, CancellationToken ct)
    {
        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    private static void AddChanges(NpgsqlBatch batch, DeferredRows rows)
    {
        if (rows.Changes.Count == 0)
        {
            return;
        }
        var lockCommand = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
        lockCommand.Parameters.Add(new NpgsqlParameter { Value = ChangeFeedLock, NpgsqlDbType = NpgsqlDbType.Bigint });
        batch.BatchCommands.Add(lockCommand);
        AddMultiRowInserts(batch, rows.ChangesTable, rows.Changes);
    }

    /// <summary>Few rows: multi-row INSERT; more: one unnest INSERT (no parameter limit, and one
    /// fixed statement text per table, which stays prepared).</summary>
    private async Task AddInsertAsync(NpgsqlBatch batch, NpgsqlConnection c, NpgsqlTransaction t, TableDefinition table, IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        if (rows.Count >= DeferredUnnestThreshold)
        {
            batch.BatchCommands.Add(await _bulk.CommandAsync(c, t, table, rows, ct).ConfigureAwait(false));
            return;
        }
        AddMultiRowInserts(batch, table, rows);
    }

    /// <summary>Multi-row INSERTs within the bind-parameter limit (the change feed keeps INSERT:
    /// its identity values follow the VALUES order).</summary>
    private static void AddMultiRowInserts(NpgsqlBatch batch, TableDefinition table, IReadOnlyList<object?[]> rows)
    {
        var perStatement = PostgresDialect.Instance.MaxParameters / table.Columns.Length;
        for (var start = 0; start < rows.Count; start += perStatement)
        {
            var slice = new List<object?[]>(Math.Min(perStatement, rows.Count - start));
            for (var r = start; r < Math.Min(start + perStatement, rows.Count); r++)
            {
                slice.Add(rows[r]);
            }
            batch.BatchCommands.Add(MultiRowInsert(table, slice));
        }
    }

    private static NpgsqlBatchCommand MultiRowInsert(TableDefinition table, IReadOnlyList<object?[]> rows)
    {
        var text = new System.Text.StringBuilder(64 + rows.Count * table.Columns.Length * 5)
            .Append("INSERT INTO ").Append(table.Name).Append(" (").AppendJoin(", ", table.Columns).Append(") VALUES ");
        var command = new NpgsqlBatchCommand();
        var n = 0;
        for (var r = 0; r < rows.Count; r++)
        {
            text.Append(r > 0 ? ", (" : "(");
            var row = rows[r];
            for (var col = 0; col < row.Length; col++)
            {
                text.Append(col > 0 ? ", $" : "$").Append(++n);
                command.Parameters.Add(new NpgsqlParameter { Value = row[col] ?? DBNull.Value });
            }
            text.Append(')');
        }
        command.CommandText = text.ToString();
        return command;
    }
}
