using RabbitMQ.Client;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// A message a subscription sends to its own queue (default exchange, routing key = queue)
/// when a session starts. It is received only by the queue's active consumer and only after
/// everything queued before it, so its arrival is the safe moment to compare the consumer's
/// durable position with the feed and backfill what the queue never held (events published
/// before the queue existed, or a queue that came back empty). Without it a consumer added
/// while the feed is quiet would wait for the next write to learn its history.
/// </summary>
internal static class CatchUpMarker
{
    public const string MessageType = "meridian.catch-up";

    public static BasicProperties Properties() => new() { Type = MessageType, Persistent = false };

    public static bool Is(IReadOnlyBasicProperties properties) => properties.Type == MessageType;

    public static ValueTask SendAsync(IChannel channel, string queue, CancellationToken cancellationToken) =>
        channel.BasicPublishAsync(exchange: "", routingKey: queue, mandatory: false, Properties(), ReadOnlyMemory<byte>.Empty, cancellationToken);
}
