using Meridian.Events.Dispatch;
using Meridian.Events.Metrics;
using Meridian.Events.Positions;
using Meridian.Storage;
using Meridian.Storage.Records;

namespace Meridian.Events;

/// <summary>
/// The running backbone of one node: the dispatcher of its partition and one subscription per
/// consumer on the transport, with durable positions and leases as platform records in the
/// store. Start it once; dispose it to stop (the lease is given up, consumers are stopped, the
/// transport is disposed).
/// </summary>
public sealed class EventBackbone : IAsyncDisposable
{
    private readonly IEventTransport _transport;
    private readonly IReadOnlyList<IEventConsumer> _consumers;
    private readonly IConsumerPositions _positions;
    private readonly ChangeFeedDispatcher _dispatcher;
    private readonly EventMetrics _metrics;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private Task _dispatching = Task.CompletedTask;

    /// <param name="store">The store whose change feed is dispatched; it must offer
    /// <see cref="ISystemRecordStore"/> (both SQL providers do) for positions and leases.</param>
    public EventBackbone(IFhirStore store, IEventTransport transport, IEnumerable<IEventConsumer> consumers, EventMetrics metrics, CommitSignal? signal = null, EventBackboneOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(consumers);
        options ??= new EventBackboneOptions();
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _consumers = [.. consumers];
        var duplicate = _consumers.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two event consumers are named '{duplicate.Key}'; names key their durable positions and must be unique.", nameof(consumers));
        }
        var records = store.Find<ISystemRecordStore>() ?? throw new ArgumentException("The store keeps no platform records (ISystemRecordStore).", nameof(store));
        _positions = new MeteredPositions(new RecordConsumerPositions(records), metrics);
        _dispatcher = new ChangeFeedDispatcher(store, transport, new RecordDispatchLease(records, options.Clock),
            new RecordConsumerPositions(records, RecordConsumerPositions.DispatcherKind), signal ?? new CommitSignal(), metrics, options);
    }

    public IReadOnlyList<string> ConsumerNames => [.. _consumers.Select(c => c.Name)];

    /// <summary>Subscribes every consumer, then starts dispatching in the background.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var consumer in _consumers)
        {
            _subscriptions.Add(await _transport.SubscribeAsync(new MeteredConsumer(consumer, _metrics), _positions, cancellationToken).ConfigureAwait(false));
        }
        // Nothing here would ever read what an in-process dispatcher publishes: stay idle
        // rather than spend reads and position writes. (Other transports have consumers on
        // other nodes, so they always dispatch.)
        if (_consumers.Count > 0 || _transport is not InProcess.InProcessTransport)
        {
            _dispatching = Task.Run(() => _dispatcher.RunAsync(_stop.Token), CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _dispatching.ConfigureAwait(false);
        foreach (var subscription in _subscriptions)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }
        await _transport.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
