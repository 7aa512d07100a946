using System.Diagnostics.Metrics;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// The transport's instruments on the meter <c>Meridian.Events.RabbitMq</c> (the server's
/// <c>/metrics</c> exports every <c>Meridian.*</c> meter). One instance per transport; the
/// meter comes from the host's <see cref="IMeterFactory"/> when there is one.
/// </summary>
public sealed class RabbitMqMetrics : IDisposable
{
    public const string MeterName = "Meridian.Events.RabbitMq";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _published;
    private readonly Counter<long> _confirmed;
    private readonly Counter<long> _publishFailures;
    private readonly Counter<long> _delivered;
    private readonly Counter<long> _redelivered;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _handlerFailures;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _connections;
    private readonly Counter<long> _backfilled;

    public RabbitMqMetrics(Func<bool> isConnected, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(isConnected);
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _published = _meter.CreateCounter<long>("meridian.events.rabbitmq.published", "{message}", "Messages sent to the broker (each attempt).");
        _confirmed = _meter.CreateCounter<long>("meridian.events.rabbitmq.confirmed", "{message}", "Messages the broker confirmed (publisher confirms).");
        _publishFailures = _meter.CreateCounter<long>("meridian.events.rabbitmq.publish_failures", "{attempt}", "Publish attempts that failed (nack, timeout, connection loss) and were retried.");
        _delivered = _meter.CreateCounter<long>("meridian.events.rabbitmq.delivered", "{message}", "Messages received by a consumer.");
        _redelivered = _meter.CreateCounter<long>("meridian.events.rabbitmq.redelivered", "{message}", "Messages received again after a requeue, a failover or a broker restart.");
        _duplicates = _meter.CreateCounter<long>("meridian.events.rabbitmq.duplicates_skipped", "{message}", "Messages at or below the consumer's durable position, acknowledged without handling.");
        _handlerFailures = _meter.CreateCounter<long>("meridian.events.rabbitmq.handler_failures", "{batch}", "Batches a consumer failed; they were requeued and offered again after a backoff.");
        _malformed = _meter.CreateCounter<long>("meridian.events.rabbitmq.malformed", "{message}", "Messages that were not a change record and were dropped.");
        _connections = _meter.CreateCounter<long>("meridian.events.rabbitmq.connections_opened", "{connection}", "Connections opened to the broker (more than one means reconnects).");
        _backfilled = _meter.CreateCounter<long>("meridian.events.rabbitmq.backfilled", "{event}", "Events a consumer read from the change feed because its queue did not hold them (added later, or lost).");
        _meter.CreateObservableGauge("meridian.events.rabbitmq.connected", () => isConnected() ? 1 : 0, "{state}", "1 while the transport's connection to the broker is open, else 0.");
    }

    internal void Published(int count) => _published.Add(count);
    internal void Confirmed(int count) => _confirmed.Add(count);
    internal void PublishFailed() => _publishFailures.Add(1);
    internal void Delivered(string consumer, bool redelivered)
    {
        var tag = new KeyValuePair<string, object?>("consumer", consumer);
        _delivered.Add(1, tag);
        if (redelivered) _redelivered.Add(1, tag);
    }
    internal void DuplicatesSkipped(string consumer, int count) => _duplicates.Add(count, new KeyValuePair<string, object?>("consumer", consumer));
    internal void HandlerFailed(string consumer) => _handlerFailures.Add(1, new KeyValuePair<string, object?>("consumer", consumer));
    internal void Malformed(string consumer) => _malformed.Add(1, new KeyValuePair<string, object?>("consumer", consumer));
    internal void ConnectionOpened() => _connections.Add(1);
    internal void Backfilled(string consumer, int count) => _backfilled.Add(count, new KeyValuePair<string, object?>("consumer", consumer));

    public void Dispose()
    {
        if (_ownsMeter) _meter.Dispose();
    }
}
