using System.Collections.Immutable;

namespace Meridian.Subscriptions.Delivery;

/// <summary>What the backport calls the notification type (SubscriptionStatus.type).</summary>
public static class NotificationTypes
{
    public const string Handshake = "handshake";
    public const string Heartbeat = "heartbeat";
    public const string Event = "event-notification";
    public const string QueryStatus = "query-status";
    public const string QueryEvent = "query-event";
}

/// <summary>One HTTP message to an endpoint (or text to a websocket): built by
/// <see cref="NotificationBuilder"/>, sent by a channel.</summary>
public sealed record OutgoingMessage(string Method, Uri? Url, ReadOnlyMemory<byte> Body, string? ContentType, ImmutableArray<KeyValuePair<string, string>> Headers)
{
    /// <summary>Websocket text (R4 <c>ping {id}</c>, or a backport notification Bundle).</summary>
    public string? Text { get; init; }
}

/// <summary>The outcome of one delivery attempt: a value, never an exception.</summary>
public sealed record SendResult(bool Ok, string? Error)
{
    public static SendResult Success { get; } = new(true, null);

    public static SendResult Failed(string error) => new(false, error);
}
