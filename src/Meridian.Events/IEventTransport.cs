using Meridian.Storage;

namespace Meridian.Events;

/// <summary>
/// How events travel from the single dispatcher of a partition to the consumers. In one
/// process it is <c>InProcessTransport</c>; with several stateless nodes it is RabbitMQ
/// (a quorum queue per consumer, publisher confirms, a single active consumer per queue so
/// order holds). Either way delivery is at least once and in commit order per consumer.
/// </summary>
public interface IEventTransport : IAsyncDisposable
{
    /// <summary>Publishes a batch in commit order and returns only when the transport holds
    /// all of it durably (publisher confirms); the dispatcher records its published position
    /// only after that, so a crash re-publishes rather than loses.</summary>
    Task PublishAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken);

    /// <summary>
    /// Starts handing events to <paramref name="consumer"/> until the returned handle is
    /// disposed. <paramref name="positions"/> is where the consumer's durable position lives:
    /// the transport skips events at or below it and advances it after each handled batch.
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(IEventConsumer consumer, IConsumerPositions positions, CancellationToken cancellationToken);
}
