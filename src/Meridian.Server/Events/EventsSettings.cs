using Meridian.Events;
using Meridian.Server.Limits;

namespace Meridian.Server.Events;

/// <summary>The event backbone (section <c>Meridian:Events</c>, docs/events.md).</summary>
public sealed class EventsSettings
{
    /// <summary><c>inprocess</c> (one server, the default) or <c>rabbitmq</c> (several nodes);
    /// a transport is available when its project registered an <see cref="IEventTransportFactory"/>.</summary>
    public string Transport { get; set; } = InProcessTransportName;

    public const string InProcessTransportName = "inprocess";

    public string Partition { get; set; } = "feed";

    public int BatchSize { get; set; } = 256;

    /// <summary>How often the dispatcher looks for commits made elsewhere (<c>250ms</c>).</summary>
    public string PollInterval { get; set; } = "250ms";

    /// <summary>Dispatch lease: renewed every third, taken over this long after its holder died.</summary>
    public string LeaseDuration { get; set; } = "15s";

    /// <summary>Longest pause between retries of a failing consumer or transport.</summary>
    public string RetryMax { get; set; } = "60s";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Transport) || !Transport.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            yield return $"Events:Transport '{Transport}' is not a transport name (inprocess or rabbitmq).";
        }
        if (string.IsNullOrWhiteSpace(Partition))
        {
            yield return "Events:Partition must not be empty.";
        }
        if (BatchSize is < 1 or > 10_000)
        {
            yield return "Events:BatchSize must be between 1 and 10000.";
        }
        foreach (var (key, text, min) in new[] { ("PollInterval", PollInterval, TimeSpan.FromMilliseconds(10)), ("LeaseDuration", LeaseDuration, TimeSpan.FromSeconds(1)), ("RetryMax", RetryMax, TimeSpan.FromMilliseconds(100)) })
        {
            if (!Durations.TryParse(text, out var value) || value < min)
            {
                yield return $"Events:{key} '{text}' is not a duration of at least {min.TotalMilliseconds} ms (e.g. 250ms, 15s).";
            }
        }
    }

    /// <summary>The backbone's options; only for settings that passed validation.</summary>
    public EventBackboneOptions ToOptions(Action<EventBackboneError>? onError) => new()
    {
        Partition = Partition,
        BatchSize = BatchSize,
        PollInterval = Durations.Parse(PollInterval),
        LeaseDuration = Durations.Parse(LeaseDuration),
        RetryMax = Durations.Parse(RetryMax),
        OnError = onError,
    };
}
