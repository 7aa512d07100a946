using Microsoft.Extensions.Logging;

namespace Meridian.Events.RabbitMq;

/// <summary>Source-generated log messages of the RabbitMQ transport (event ids 1700-1799).</summary>
internal static partial class RabbitMqLog
{
    [LoggerMessage(EventId = 1700, Level = LogLevel.Warning, Message = "RabbitMQ publish attempt {Attempt} failed with {Confirmed} of {Total} messages confirmed ({Reason}); publishing the rest again")]
    public static partial void PublishRetry(ILogger logger, int confirmed, int total, int attempt, string reason);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "RabbitMQ consumer {Consumer} lost its channel ({Reason}); reconnecting in {Delay}")]
    public static partial void ConsumerReconnect(ILogger logger, string consumer, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Warning, Message = "RabbitMQ consumer {Consumer} failed a batch of {Count} events ending at sequence {Last}; requeued, retrying in {Delay}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string consumer, int count, long last, TimeSpan delay);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Error, Message = "RabbitMQ consumer {Consumer} dropped a message that is not a change record (message id {MessageId})")]
    public static partial void Malformed(ILogger logger, string consumer, string? messageId);

    [LoggerMessage(EventId = 1704, Level = LogLevel.Information, Message = "RabbitMQ consumer {Consumer} is consuming queue {Queue}")]
    public static partial void Consuming(ILogger logger, string consumer, string queue);

    [LoggerMessage(EventId = 1705, Level = LogLevel.Information, Message = "RabbitMQ consumer {Consumer} backfilled {Count} events from the change feed up to sequence {Position} (not in its queue)")]
    public static partial void Backfilled(ILogger logger, string consumer, int count, long position);
}
