namespace Meridian.Events.RabbitMq;

/// <summary>
/// The configuration section <c>Meridian:Events:RabbitMq</c> (environment
/// <c>MERIDIAN_EVENTS__RABBITMQ__URI</c> …), read when <c>Meridian:Events:Transport</c> is
/// <c>rabbitmq</c>. Retry pauses and batch size come from the backbone's own settings.
/// </summary>
public sealed class RabbitMqSettings
{
    public const string Section = "Meridian:Events:RabbitMq";

    /// <summary>The broker: <c>amqp://user:password@host:5672/vhost</c> (or <c>amqps://</c>).</summary>
    public string? Uri { get; set; }

    public string Exchange { get; set; } = "meridian.changes";

    public string QueuePrefix { get; set; } = "meridian.changes";

    public int Prefetch { get; set; } = 256;

    /// <summary>Where a new consumer (no durable position) starts: <c>beginning</c> of the
    /// change feed (default, like the in-process transport) or <c>now</c>.</summary>
    public string Start { get; set; } = "beginning";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Uri))
            yield return "Events:RabbitMq:Uri is required when Events:Transport is rabbitmq (e.g. amqp://user:password@host:5672/).";
        else if (!System.Uri.TryCreate(Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            yield return "Events:RabbitMq:Uri must be an absolute amqp:// or amqps:// URI.";
        if (string.IsNullOrWhiteSpace(Exchange)) yield return "Events:RabbitMq:Exchange must not be empty.";
        if (string.IsNullOrWhiteSpace(QueuePrefix)) yield return "Events:RabbitMq:QueuePrefix must not be empty.";
        if (!Enum.TryParse<ConsumerStart>(Start, ignoreCase: true, out _) || int.TryParse(Start, out _))
            yield return "Events:RabbitMq:Start must be 'beginning' or 'now'.";
        if (Prefetch is < 1 or > ushort.MaxValue) yield return "Events:RabbitMq:Prefetch must be between 1 and 65535.";
    }

    /// <summary>The transport's options; only for settings without <see cref="Problems"/>.</summary>
    public RabbitMqTransportOptions ToOptions(EventBackboneOptions backbone, IEnumerable<string> consumers) => new()
    {
        Uri = new Uri(Uri!),
        Exchange = Exchange,
        QueuePrefix = QueuePrefix,
        Prefetch = (ushort)Prefetch,
        MaxBatch = backbone.BatchSize,
        MinBackoff = backbone.RetryFirst,
        MaxBackoff = backbone.RetryMax,
        Start = Enum.Parse<ConsumerStart>(Start, ignoreCase: true),
        KnownConsumers = [.. consumers.Distinct(StringComparer.Ordinal)],
        ClientName = $"meridian {backbone.Holder}",
    };
}
