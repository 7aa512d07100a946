using Meridian.Storage;

namespace Meridian.Events.Metrics;

/// <summary>
/// Wraps a consumer (and the positions its transport advances) to keep the consumer's figures,
/// whatever the transport: events handled, failures, retries, commit-to-handled delay, and the
/// state the lag gauges read. Changes nothing about what the consumer sees.
/// </summary>
internal sealed class MeteredConsumer(IEventConsumer inner, EventMetrics metrics) : IEventConsumer
{
    private readonly EventMetrics.ConsumerState _state = metrics.Consumer(inner.Name);
    private readonly KeyValuePair<string, object?> _tag = new("consumer", inner.Name);

    public string Name => inner.Name;

    public async Task HandleAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }
        metrics.ObserveHead(events[^1].Sequence);
        if (events[0].Sequence <= Volatile.Read(ref _state.FailedThrough))
        {
            metrics.Retries.Add(1, _tag);
        }
        Interlocked.CompareExchange(ref _state.PendingSinceTicks, events[0].Time.UtcTicks, 0);
        try
        {
            await inner.HandleAsync(events, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.Failures.Add(1, _tag);
            EventMetrics.InterlockedMax(ref _state.FailedThrough, events[^1].Sequence);
            throw;
        }
        var now = metrics.Clock.GetUtcNow();
        metrics.Handled.Add(events.Count, _tag);
        foreach (var e in events)
        {
            metrics.Delay.Record(Math.Max(0, (now - e.Time).TotalSeconds), _tag);
        }
        // Still behind: the next unfinished change is no older than the last one just finished.
        Volatile.Write(ref _state.PendingSinceTicks, events[^1].Sequence >= metrics.Head ? 0 : events[^1].Time.UtcTicks);
    }
}

/// <summary>Positions as the transport sees them, reporting what it reads and advances to the gauges.</summary>
internal sealed class MeteredPositions(IConsumerPositions inner, EventMetrics metrics) : IConsumerPositions
{
    public async Task<long> GetAsync(string consumer, CancellationToken cancellationToken)
    {
        var position = await inner.GetAsync(consumer, cancellationToken).ConfigureAwait(false);
        EventMetrics.InterlockedMax(ref metrics.Consumer(consumer).Position, position);
        return position;
    }

    public async Task AdvanceAsync(string consumer, long sequence, CancellationToken cancellationToken)
    {
        await inner.AdvanceAsync(consumer, sequence, cancellationToken).ConfigureAwait(false);
        EventMetrics.InterlockedMax(ref metrics.Consumer(consumer).Position, sequence);
    }
}
