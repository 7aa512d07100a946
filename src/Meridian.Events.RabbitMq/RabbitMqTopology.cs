using RabbitMQ.Client;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// The durable topology, declared idempotently by whoever gets there first (publisher or any
/// subscribing node): one fanout exchange for the feed and one quorum queue per consumer bound
/// to it. Quorum queues replicate and survive broker restarts; single-active-consumer lets
/// every node subscribe while only one at a time receives, so commit order holds and another
/// node takes over when the active one goes away.
/// </summary>
internal static class RabbitMqTopology
{
    public static Dictionary<string, object?> QueueArguments() => new()
    {
        ["x-queue-type"] = "quorum",
        ["x-single-active-consumer"] = true,
    };

    public static Task DeclareExchangeAsync(IChannel channel, RabbitMqTransportOptions options, CancellationToken cancellationToken) =>
        channel.ExchangeDeclareAsync(options.Exchange, ExchangeType.Fanout, durable: true, autoDelete: false, arguments: null, cancellationToken: cancellationToken);

    public static async Task<string> DeclareConsumerQueueAsync(IChannel channel, RabbitMqTransportOptions options, string consumer, CancellationToken cancellationToken)
    {
        var queue = options.QueueFor(consumer);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: QueueArguments(), cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue, options.Exchange, routingKey: "", arguments: null, cancellationToken: cancellationToken);
        return queue;
    }
}
