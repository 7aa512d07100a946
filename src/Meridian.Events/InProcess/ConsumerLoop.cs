using Meridian.Events.Internal;
using Meridian.Storage;

namespace Meridian.Events.InProcess;

/// <summary>
/// One consumer's own loop: read the feed after the consumer's durable position (up to the
/// published head), hand the batch over, advance the position, repeat. A batch that throws is
/// offered again, from the same position, after a growing pause: no gap, no reordering. If the
/// process dies after the consumer returned but before the position moved, the batch comes
/// again after the restart: that is the at-least-once contract consumers de-duplicate against.
/// </summary>
internal sealed class ConsumerLoop(InProcessTransport transport, IEventConsumer consumer, IConsumerPositions positions) : IAsyncDisposable
{
    // A consumer that ignores cancellation is abandoned after this long at shutdown.
    private static readonly TimeSpan s_stopWait = TimeSpan.FromSeconds(10);

    private readonly Wakeup _wakeup = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

    public void Wake() => _wakeup.Signal();

    private async Task RunAsync(CancellationToken ct)
    {
        var options = transport.Options;
        long? position = null;
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                position ??= await positions.GetAsync(consumer.Name, ct).ConfigureAwait(false);
                var head = transport.Head;
                if (position >= head)
                {
                    await _wakeup.WaitAsync(options.PollInterval, options.Clock, ct).ConfigureAwait(false);
                    continue;
                }
                var read = await transport.Store.ReadChangesAsync(position.Value, options.BatchSize, ct).ConfigureAwait(false);
                var batch = read.Where(e => e.Sequence <= head).ToArray();
                if (batch.Length == 0)
                {
                    // Nothing left up to the head (purged rows): nothing to hand over.
                    position = head;
                    continue;
                }
                await consumer.HandleAsync(batch, ct).ConfigureAwait(false);
                // Not cancelled by shutdown: the batch is done, so recording that spares a redelivery.
                await positions.AdvanceAsync(consumer.Name, batch[^1].Sequence, CancellationToken.None).ConfigureAwait(false);
                position = batch[^1].Sequence;
                failures = 0;
                if (read.Length < options.BatchSize)
                {
                    await Task.Delay(options.BatchInterval, options.Clock, ct).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                options.Report("consumer", consumer.Name, ex);
                position = null; // re-read the durable position: the batch is offered again from there
                try
                {
                    await Task.Delay(options.Backoff.Delay(++failures), options.Clock, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                // Stopping; a consumer that failed with something else than a cancellation while
                // it was being stopped is not an error to report (its batch comes again later).
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        transport.Remove(this);
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(_run, Task.Delay(s_stopWait)).ConfigureAwait(false);
        _stop.Dispose();
    }
}
