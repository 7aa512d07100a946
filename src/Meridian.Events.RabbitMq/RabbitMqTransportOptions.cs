namespace Meridian.Events.RabbitMq;

/// <summary>
/// Settings of the RabbitMQ transport (configuration section <c>Meridian:Events:RabbitMq</c>).
/// Every node of a deployment must use the same <see cref="Exchange"/> and
/// <see cref="QueuePrefix"/>, so that they share the queues.
/// </summary>
public sealed record RabbitMqTransportOptions
{
    /// <summary>The broker, e.g. <c>amqp://user:password@rabbit:5672/vhost</c>.</summary>
    public required Uri Uri { get; init; }

    /// <summary>The fanout exchange the change feed is published to.</summary>
    public string Exchange { get; init; } = "meridian.changes";

    /// <summary>Each consumer reads its own quorum queue named <c>{QueuePrefix}.{consumer}</c>.</summary>
    public string QueuePrefix { get; init; } = "meridian.changes";

    /// <summary>
    /// Consumers whose queues the publisher declares before it publishes. A fanout exchange
    /// only copies a message into queues that exist at that moment, so a consumer listed here
    /// receives every event published after the first publish even if no node subscribed yet.
    /// </summary>
    public IReadOnlyList<string> KnownConsumers { get; init; } = [];

    /// <summary>Unacknowledged messages the broker sends a consumer ahead (basic.qos).</summary>
    public ushort Prefetch { get; init; } = 256;

    /// <summary>The largest batch handed to <see cref="IEventConsumer.HandleAsync"/>.</summary>
    public int MaxBatch { get; init; } = 128;

    /// <summary>First wait after a failure (connection loss, nack, failed handler); doubled per
    /// consecutive failure up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Failed attempts at one batch, each after a backoff, before a subscription gives its
    /// queue back (closes the channel, which requeues everything unacknowledged in delivery
    /// order) so that another node may take it.
    /// </summary>
    public int ReleaseAfterFailures { get; init; } = 5;

    /// <summary>How long one publish attempt waits for the broker's confirms before it counts
    /// as failed and the unconfirmed rest of the batch is published again.</summary>
    public TimeSpan ConfirmTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where a consumer without a durable position starts when the transport has a
    /// <see cref="ChangeHistory"/> to backfill from: the feed's beginning (default) or now.</summary>
    public ConsumerStart Start { get; init; } = ConsumerStart.Beginning;

    /// <summary>Shown in the broker's connection list.</summary>
    public string ClientName { get; init; } = "meridian";

    /// <summary>The queue a consumer reads.</summary>
    public string QueueFor(string consumer) => $"{QueuePrefix}.{consumer}";
}
