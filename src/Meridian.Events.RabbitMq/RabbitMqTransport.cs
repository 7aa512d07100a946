using System.Diagnostics.Metrics;
using Meridian.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// <see cref="IEventTransport"/> over RabbitMQ for several stateless nodes: the dispatcher of
/// a partition publishes (persistent messages, publisher confirms) to a fanout exchange; each
/// consumer has a quorum queue with single active consumer, so every node may subscribe while
/// one at a time handles a queue, in commit order. One connection per transport, reopened by
/// the publisher's and the subscriptions' own retry loops after a connection loss or a broker
/// restart.
/// </summary>
public sealed class RabbitMqTransport : IEventTransport
{
    private readonly RabbitMqTransportOptions _options;
    private readonly ILogger _logger;
    private readonly RabbitMqConnectionSource _connections;
    private readonly ConfirmingPublisher _publisher;
    private readonly ChangeHistory? _history;
    private readonly List<QueueSubscription> _subscriptions = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <param name="history">The change feed, to backfill consumers whose queue lacks events
    /// they have not finished (added later, or a queue lost with the broker's data). Without it a
    /// consumer only ever sees what its queue received.</param>
    public RabbitMqTransport(RabbitMqTransportOptions options, ILogger<RabbitMqTransport>? logger = null, IMeterFactory? meterFactory = null, ChangeHistory? history = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Prefetch == 0) throw new ArgumentException("Prefetch must be at least 1.", nameof(options));
        if (options.MaxBatch < 1) throw new ArgumentException("MaxBatch must be at least 1.", nameof(options));
        if (options.ReleaseAfterFailures < 1) throw new ArgumentException("ReleaseAfterFailures must be at least 1.", nameof(options));
        _options = options;
        _history = history;
        _logger = logger ?? NullLogger<RabbitMqTransport>.Instance;
        RabbitMqConnectionSource? connections = null;
        Metrics = new RabbitMqMetrics(() => connections?.IsOpen == true, meterFactory);
        _connections = connections = new RabbitMqConnectionSource(options, Metrics.ConnectionOpened);
        _publisher = new ConfirmingPublisher(_connections, options, Metrics, _logger);
    }

    /// <summary>The transport's instruments (meter <c>Meridian.Events.RabbitMq</c>).</summary>
    public RabbitMqMetrics Metrics { get; }

    /// <summary>True while the connection to the broker is open.</summary>
    public bool IsConnected => _connections.IsOpen;

    public Task PublishAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _publisher.PublishAsync(events, cancellationToken);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(IEventConsumer consumer, IConsumerPositions positions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        ArgumentNullException.ThrowIfNull(positions);
        var subscription = new QueueSubscription(_connections, _options, Metrics, _logger, consumer, positions, _history);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _subscriptions.Add(subscription);
        }
        await subscription.StartAsync(cancellationToken);
        return new Handle(this, subscription);
    }

    private async ValueTask UnsubscribeAsync(QueueSubscription subscription)
    {
        lock (_lock)
        {
            if (!_subscriptions.Remove(subscription)) return;
        }
        await subscription.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        List<QueueSubscription> subscriptions;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
        }
        foreach (var subscription in subscriptions) await subscription.DisposeAsync();
        await _publisher.DisposeAsync();
        await _connections.DisposeAsync();
        Metrics.Dispose();
    }

    private sealed class Handle(RabbitMqTransport transport, QueueSubscription subscription) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => transport.UnsubscribeAsync(subscription);
    }
}
