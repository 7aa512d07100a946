using Meridian.Events.Metrics;
using Meridian.Storage;

namespace Meridian.Events.InProcess;

/// <summary>
/// The transport of a single process. The change feed in the database already is the durable
/// queue, so publishing only raises the published head and wakes the consumers; each consumer
/// has its own loop that reads the feed from its durable position up to that head, hands the
/// batch over and advances the position (<see cref="ConsumerLoop"/>). Consumers are independent:
/// one that is slow, hangs or throws holds back only itself.
/// </summary>
/// <remarks>Consumers only move up to what this node's dispatcher published, so with several
/// nodes on one database only the lease holder's consumers run (use RabbitMQ to spread them).</remarks>
public sealed class InProcessTransport(IFhirStore store, EventBackboneOptions? options = null) : IEventTransport
{
    public const string Name = "inprocess";

    private readonly EventBackboneOptions _options = options ?? new EventBackboneOptions();
    private readonly Lock _gate = new();
    private readonly List<ConsumerLoop> _loops = [];
    private long _head;

    /// <summary>Highest sequence published so far.</summary>
    internal long Head => Volatile.Read(ref _head);

    internal IFhirStore Store => store;

    internal EventBackboneOptions Options => _options;

    public Task PublishAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count > 0)
        {
            EventMetrics.InterlockedMax(ref _head, events[^1].Sequence);
            lock (_gate)
            {
                foreach (var loop in _loops)
                {
                    loop.Wake();
                }
            }
        }
        return Task.CompletedTask;
    }

    public Task<IAsyncDisposable> SubscribeAsync(IEventConsumer consumer, IConsumerPositions positions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(positions);
        var loop = new ConsumerLoop(this, consumer, positions);
        lock (_gate)
        {
            _loops.Add(loop);
        }
        loop.Start();
        return Task.FromResult<IAsyncDisposable>(loop);
    }

    internal void Remove(ConsumerLoop loop)
    {
        lock (_gate)
        {
            _loops.Remove(loop);
        }
    }

    public async ValueTask DisposeAsync()
    {
        ConsumerLoop[] loops;
        lock (_gate)
        {
            loops = [.. _loops];
        }
        foreach (var loop in loops)
        {
            await loop.DisposeAsync().ConfigureAwait(false);
        }
    }
}
