using System.Threading.Channels;
using Meridian.Storage;

namespace Meridian.Audit;

/// <summary>
/// Makes AuditEvents of reads, searches and failed requests durable before the response goes
/// out, with group commit: records that arrive while a commit is in flight are written together
/// in the next transaction (one per tenant), so 32 concurrent reads cost a few fsyncs, not 32,
/// while each caller still waits for the commit of its own record.
/// </summary>
public sealed class AuditAppender : IAsyncDisposable
{
    private readonly IFhirStore _store;
    private readonly int _maxBatch;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    private sealed record Pending(string Tenant, ResourceContent Content, TaskCompletionSource<bool> Done);

    public AuditAppender(IFhirStore store, int maxBatch = 256)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _maxBatch = Math.Max(1, maxBatch);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>True once the record is committed; false if it could not be (the caller must not
    /// answer as if the interaction was audited).</summary>
    public async Task<bool> AppendAsync(string tenant, ResourceContent content, CancellationToken cancellationToken = default)
    {
        var pending = new Pending(tenant, content, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            return false;
        }
        return await pending.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
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
            await Task.WhenAll(batch.GroupBy(p => p.Tenant, StringComparer.Ordinal).Select(g => CommitAsync(g.Key, [.. g]))).ConfigureAwait(false);
            batch.Clear();
        }
    }

    private async Task CommitAsync(string tenant, List<Pending> items)
    {
        var ok = false;
        try
        {
            var operations = items.Select(i => (WriteOperation)new CreateOperation(AuditTypes.AuditEvent, i.Content)).ToList();
            // Not cancellable: once a record is queued it is written even if its caller went away.
            var result = await _store.TransactAsync(tenant, operations, null, CancellationToken.None).ConfigureAwait(false);
            ok = result.Succeeded;
        }
#pragma warning disable CA1031 // any failure (database down) is answered to every waiter as "not durable"
        catch (Exception)
#pragma warning restore CA1031
        {
            ok = false;
        }
        foreach (var item in items)
        {
            item.Done.TrySetResult(ok);
        }
    }

    /// <summary>Stops accepting records and waits until the queued ones are committed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }
}
