using System.Threading.Channels;
using Meridian.Storage;

namespace Meridian.Audit;

/// <summary>
/// Makes AuditEvents of reads, searches and failed requests durable before the response goes
/// out, with group commit: records that arrive while a commit is in flight are written together
/// in the next transaction (one per tenant), so 32 concurrent reads cost a few fsyncs, not 32,
/// while each caller still waits for the commit of its own record.
/// <para>Where the store runs several group commits at once (PostgreSQL: its writers), up to that
/// many batches are in flight: the next batch gathers and starts while earlier ones wait for
/// their commit, instead of the audit trail using one writer of several. The hash chain stays
/// one sequence: the store appends each transaction's links under the tenant's chain lock, held
/// until that transaction commits. SQLite has one writer, so one batch at a time as before.</para>
/// </summary>
public sealed class AuditAppender : IAsyncDisposable
{
    private readonly IFhirStore _store;
    private readonly int _maxBatch;
    private readonly int _maxInFlight;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    private sealed record Pending(string Tenant, ResourceContent Content, TaskCompletionSource<bool> Done);

    /// <param name="maxInFlight">Batches committing at once; by default the store's concurrent
    /// writers (<see cref="Storage.Relational.RelationalFhirStore.ConcurrentWriters"/>), else 1.</param>
    public AuditAppender(IFhirStore store, int maxBatch = 256, int? maxInFlight = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _maxBatch = Math.Max(1, maxBatch);
        _maxInFlight = Math.Max(1, maxInFlight ?? store.Find<Storage.Relational.RelationalFhirStore>()?.ConcurrentWriters ?? 1);
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
        var inFlight = new List<Task>(_maxInFlight);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (inFlight.Count >= _maxInFlight)
            {
                // All slots busy: records keep gathering in the queue until one batch commits.
                inFlight.Remove(await Task.WhenAny(inFlight).ConfigureAwait(false));
                continue;
            }
            var batch = new List<Pending>(Math.Min(_maxBatch, 64));
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            if (batch.Count == 0)
            {
                continue;
            }
            inFlight.Add(Task.WhenAll(batch.GroupBy(p => p.Tenant, StringComparer.Ordinal).Select(g => CommitAsync(g.Key, [.. g]))));
        }
        await Task.WhenAll(inFlight).ConfigureAwait(false);
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
