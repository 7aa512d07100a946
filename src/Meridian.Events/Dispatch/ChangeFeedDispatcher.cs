using Meridian.Events.Metrics;
using Meridian.Storage;

namespace Meridian.Events.Dispatch;

/// <summary>
/// Moves one partition of the change feed to the transport: while this node holds the
/// partition's lease it reads the feed after its published position, publishes each batch
/// and records the published position only after <see cref="IEventTransport.PublishAsync"/>
/// returned (a crash in between re-publishes; consumers skip what they already finished).
/// A local commit wakes it at once; a short poll finds other nodes' commits.
/// </summary>
public sealed class ChangeFeedDispatcher(
    IFhirStore store, IEventTransport transport, IDispatchLease lease, IConsumerPositions published,
    CommitSignal signal, EventMetrics metrics, EventBackboneOptions options)
{
    // Probing the feed head on a node without the lease reads at most this many batches per tick.
    private const int MaxProbeReads = 8;

    private readonly KeyValuePair<string, object?> _tag = new("partition", options.Partition);

    /// <summary>Runs until cancelled, then gives the lease up.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var clock = options.Clock;
        var renewEvery = options.LeaseDuration / 3;
        long? cursor = null;
        var failures = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    var asked = clock.GetUtcNow();
                    if (!await lease.TryAcquireAsync(options.Partition, options.Holder, options.LeaseDuration, cancellationToken).ConfigureAwait(false))
                    {
                        metrics.LeaseHeld(options.Partition, false);
                        cursor = null; // whoever holds it moves the durable position; re-read it on taking over
                        await ProbeAsync(cancellationToken).ConfigureAwait(false);
                        await Task.Delay(renewEvery, clock, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    metrics.LeaseHeld(options.Partition, true);
                    // On taking the lease, start one before the published position: the last
                    // published event goes out once more. Consumers skip it (it is at or below
                    // their positions), and a transport that starts empty (in-process after a
                    // restart) learns how far the feed was already published.
                    cursor ??= Math.Max(0, await published.GetAsync(options.Partition, cancellationToken).ConfigureAwait(false) - 1);
                    cursor = await PumpAsync(cursor.Value, asked + renewEvery, cancellationToken).ConfigureAwait(false);
                    failures = 0;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    metrics.DispatchFailures.Add(1, _tag);
                    options.Report("dispatcher", options.Partition, ex);
                    await Task.Delay(options.Backoff.Delay(++failures), clock, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down. Whatever the last read or publish failed with while the token was
            // being cancelled (a transport that reports a refused connection instead of the
            // cancellation) is not news: the stop is, and the next holder re-publishes.
        }
        finally
        {
            metrics.LeaseHeld(options.Partition, false);
            await ReleaseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Publishes until the lease is due for renewal; returns the new cursor.</summary>
    private async Task<long> PumpAsync(long cursor, DateTimeOffset renewAt, CancellationToken ct)
    {
        var clock = options.Clock;
        while (clock.GetUtcNow() < renewAt)
        {
            var batch = await store.ReadChangesAsync(cursor, options.BatchSize, ct).ConfigureAwait(false);
            if (batch.IsEmpty)
            {
                var left = renewAt - clock.GetUtcNow();
                if (left > TimeSpan.Zero)
                {
                    await signal.WaitAsync(left < options.PollInterval ? left : options.PollInterval, clock, ct).ConfigureAwait(false);
                }
                continue;
            }
            metrics.ObserveHead(batch[^1].Sequence);
            await transport.PublishAsync(batch, ct).ConfigureAwait(false);
            // Not cancelled by shutdown: the batch is out, so recording that spares a re-publish.
            await published.AdvanceAsync(options.Partition, batch[^1].Sequence, CancellationToken.None).ConfigureAwait(false);
            cursor = batch[^1].Sequence;
            metrics.Dispatched.Add(batch.Length, _tag);
            metrics.ObservePublished(options.Partition, cursor);
            if (batch.Length < options.BatchSize)
            {
                await Task.Delay(options.BatchInterval, clock, ct).ConfigureAwait(false);
            }
        }
        return cursor;
    }

    /// <summary>Without the lease, keeps this node's head and published figures current for the lag gauges.</summary>
    private async Task ProbeAsync(CancellationToken ct)
    {
        metrics.ObservePublished(options.Partition, await published.GetAsync(options.Partition, ct).ConfigureAwait(false));
        for (var i = 0; i < MaxProbeReads; i++)
        {
            var batch = await store.ReadChangesAsync(metrics.Head, options.BatchSize, ct).ConfigureAwait(false);
            if (batch.IsEmpty)
            {
                return;
            }
            metrics.ObserveHead(batch[^1].Sequence);
            if (batch.Length < options.BatchSize)
            {
                return;
            }
        }
    }

    private async Task ReleaseAsync()
    {
        // Clean shutdown hands the partition over at once instead of after the expiry.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await lease.ReleaseAsync(options.Partition, options.Holder, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            options.Report("dispatcher", options.Partition, ex);
        }
    }
}
