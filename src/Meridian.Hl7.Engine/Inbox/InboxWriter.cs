using System.Threading.Channels;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>
/// Group commit for the inbox: messages arriving on many connections while a commit is in
/// flight are appended together in the next transaction, so N connections cost a few commits,
/// not N, and each caller still waits for the commit of its own message (the ACK waits on it).
/// <paramref name="writers"/> batches may commit side by side (PostgreSQL; SQLite serialises them anyway).
/// </summary>
public sealed class InboxWriter : IAsyncDisposable
{
    private readonly IHl7Inbox _inbox;
    private readonly int _maxBatch;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _loops;

    private sealed record Pending(InboxEntry Entry, TaskCompletionSource<InboxAppend> Done);

    public InboxWriter(IHl7Inbox inbox, int maxBatch = 256, int writers = 2)
    {
        _inbox = inbox ?? throw new ArgumentNullException(nameof(inbox));
        _maxBatch = Math.Max(1, maxBatch);
        using (ExecutionContext.SuppressFlow())
        {
            _loops = [.. Enumerable.Range(0, Math.Max(1, writers)).Select(_ => Task.Run(RunAsync))];
        }
    }

    /// <summary>Completes once the message is committed (or found already stored); throws when the store failed.</summary>
    public Task<InboxAppend> AppendAsync(InboxEntry entry, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(entry, new TaskCompletionSource<InboxAppend>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                // Not cancellable: once queued, a message is committed even if its connection went away
                // (the sender will resend and be answered as a duplicate).
                var results = await _inbox.AppendAsync([.. batch.Select(p => p.Entry)], CancellationToken.None).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(results[i]);
                }
            }
            catch (Exception ex)
            {
                foreach (var p in batch)
                {
                    p.Done.TrySetException(ex);
                }
            }
            batch.Clear();
        }
    }

    /// <summary>Stops accepting messages and waits for the queued ones to be committed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
    }
}
