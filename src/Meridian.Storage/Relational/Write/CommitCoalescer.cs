using System.Threading.Channels;

namespace Meridian.Storage.Relational.Write;

/// <summary>One TransactAsync call waiting for its group commit.</summary>
internal sealed class PendingTransaction(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions options, CancellationToken cancellationToken)
{
    public string Tenant { get; } = tenant;
    public IReadOnlyList<WriteOperation> Operations { get; } = operations;
    public TransactOptions Options { get; } = options;
    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Completed only after the batch that holds this request has committed (or failed):
    /// nobody is acknowledged before the commit is durable.</summary>
    public TaskCompletionSource<TransactResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How often this request lost a race with another writer and was re-queued.</summary>
    public int Conflicts { get; set; }

    /// <summary>
    /// Instead of <see cref="Operations"/>: statements run inside the batch's transaction (in the
    /// request's tenant scope, no savepoint: they must not fail but by the batch failing), whose
    /// value is kept in <see cref="WorkResult"/> and handed out only after the commit. System
    /// record writes use it so that they share the batch's fsync instead of paying their own.
    /// </summary>
    public Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, CancellationToken, Task<long?>>? Work { get; init; }

    /// <summary>What <see cref="Work"/> returned (valid once <see cref="Completion"/> succeeded).</summary>
    public long? WorkResult { get; set; }
}

/// <summary>
/// Group commit (docs/adr/0010-group-commit.md): concurrent TransactAsync calls queue here; one
/// writer loop takes everything queued (up to <see cref="MaxOperations"/> operations), runs the
/// batch in one database transaction and commits once, so one fsync serves the whole batch.
/// While a batch commits, the next one gathers: the batch size adapts to the load by itself
/// and a lone request is never delayed by a timer.
/// </summary>
/// <para>With <c>writers</c> &gt; 1 (PostgreSQL, which runs concurrent transactions), that many
/// loops run batches side by side on their own connections, so one batch's round trips and
/// commit overlap another's work; the engine's own conflict detection settles races between them.</para>
internal sealed class CommitCoalescer(Func<IReadOnlyList<PendingTransaction>, Task> commitBatch, int writers = 1)
{
    /// <summary>Cap on operations per batch so one batch (and its lock time) stays bounded;
    /// a single larger request still runs alone.</summary>
    public const int MaxOperations = 4096;

    /// <summary>How many batches may commit at once (writer loops).</summary>
    public int Writers { get; } = Math.Max(1, writers);

    private readonly Channel<PendingTransaction> _queue = Channel.CreateUnbounded<PendingTransaction>(new UnboundedChannelOptions { SingleReader = writers <= 1 });
    private readonly System.Collections.Concurrent.ConcurrentQueue<PendingTransaction> _retry = new();
    private readonly object _gate = new();
    private Task? _loop;

    public Task<TransactResult> EnqueueAsync(PendingTransaction pending)
    {
        lock (_gate)
        {
            if (_loop is null)
            {
                // The loop outlives the caller that happens to start it: it must not inherit that
                // caller's ambient state (current span, async-locals).
                using (ExecutionContext.SuppressFlow())
                {
                    _loop = Task.WhenAll(Enumerable.Range(0, Math.Max(1, writers)).Select(_ => Task.Run(RunAsync)));
                }
            }
        }
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(CommitCoalescer), "the store is disposed");
        }
        return pending.Completion.Task;
    }

    /// <summary>Requests that lost a race go first into a next batch (called by a writer loop).</summary>
    public void Requeue(PendingTransaction pending) => _retry.Enqueue(pending);

    /// <summary>Stops accepting requests, lets the loop commit what is queued, and waits for it.</summary>
    public async Task StopAsync()
    {
        _queue.Writer.TryComplete();
        Task? loop;
        lock (_gate)
        {
            loop = _loop;
        }
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }
    }

    /// <summary>How long a batch of only record writes waits for data writes to join it.</summary>
    public static readonly TimeSpan RecordLinger = TimeSpan.FromMilliseconds(5);

    private async Task LingerAsync()
    {
        using var timeout = new CancellationTokenSource(RecordLinger);
        try
        {
            await _queue.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Nothing arrived: commit the record writes alone.
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingTransaction>();
        while (!_retry.IsEmpty || await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var operations = 0;
            while (operations < MaxOperations && _retry.TryDequeue(out var again))
            {
                batch.Add(again);
                operations += again.Operations.Count;
            }
            while (operations < MaxOperations && _queue.Reader.TryPeek(out var next)
                   && (batch.Count == 0 || operations + next.Operations.Count <= MaxOperations)
                   && _queue.Reader.TryRead(out next))
            {
                batch.Add(next);
                operations += next.Operations.Count;
            }
            if (batch.Count == 0)
            {
                continue;
            }
            if (operations < MaxOperations && batch.TrueForAll(p => p.Work is not null) && _retry.IsEmpty)
            {
                // Only system record writes (event positions, leases): bookkeeping that nobody's
                // response waits for. A data batch is usually a moment away (the record writes
                // follow the commits they record), so wait briefly for it and share its fsync
                // instead of paying one of our own on the single writer.
                await LingerAsync().ConfigureAwait(false);
                while (_queue.Reader.TryPeek(out var next) && operations + next.Operations.Count <= MaxOperations
                       && _queue.Reader.TryRead(out next))
                {
                    batch.Add(next);
                    operations += next.Operations.Count;
                }
            }
            try
            {
                await commitBatch(batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The batch function completes every request itself; this only guards the loop.
                foreach (var p in batch)
                {
                    p.Completion.TrySetException(ex);
                }
                while (_retry.TryDequeue(out var p))
                {
                    p.Completion.TrySetException(ex);
                }
            }
        }
    }
}
