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
}

/// <summary>
/// Group commit (docs/adr/XXXX-group-commit.md): concurrent TransactAsync calls queue here; one
/// writer loop takes everything queued (up to <see cref="MaxOperations"/> operations), runs the
/// batch in one database transaction and commits once, so one fsync serves the whole batch.
/// While a batch commits, the next one gathers: the batch size adapts to the load by itself
/// and a lone request is never delayed by a timer.
/// </summary>
internal sealed class CommitCoalescer(Func<IReadOnlyList<PendingTransaction>, Task> commitBatch)
{
    /// <summary>Cap on operations per batch so one batch (and its lock time) stays bounded;
    /// a single larger request still runs alone.</summary>
    public const int MaxOperations = 4096;

    private readonly Channel<PendingTransaction> _queue = Channel.CreateUnbounded<PendingTransaction>(new UnboundedChannelOptions { SingleReader = true });
    private readonly List<PendingTransaction> _retry = [];
    private readonly object _gate = new();
    private Task? _loop;

    public Task<TransactResult> EnqueueAsync(PendingTransaction pending)
    {
        lock (_gate)
        {
            _loop ??= Task.Run(RunAsync);
        }
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(CommitCoalescer), "the store is disposed");
        }
        return pending.Completion.Task;
    }

    /// <summary>Requests that lost a race go first into the next batch (called by the loop only).</summary>
    public void Requeue(PendingTransaction pending) => _retry.Add(pending);

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

    private async Task RunAsync()
    {
        var batch = new List<PendingTransaction>();
        while (_retry.Count > 0 || await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var operations = 0;
            batch.AddRange(_retry);
            _retry.Clear();
            foreach (var p in batch)
            {
                operations += p.Operations.Count;
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
                foreach (var p in _retry)
                {
                    p.Completion.TrySetException(ex);
                }
                _retry.Clear();
            }
        }
    }
}
