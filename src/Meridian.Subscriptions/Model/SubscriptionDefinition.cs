using System.Collections.Immutable;

namespace Meridian.Subscriptions.Model;

public enum ChannelKind { RestHook, WebSocket }

/// <summary>What a notification carries (backport <c>backport-payload-content</c>; R4: no
/// <c>channel.payload</c> = empty, a payload = the full resource).</summary>
public enum PayloadContent { Empty, IdOnly, FullResource }

/// <summary>Subscription.status values (R4).</summary>
public static class SubscriptionStatusCodes
{
    public const string Requested = "requested";
    public const string Active = "active";
    public const string Error = "error";
    public const string Off = "off";
}

/// <summary>
/// A parsed, immutable Subscription: either R4 criteria (<c>Observation?code=…</c>) or an
/// R5-backport topic (criteria is the topic canonical, filters from
/// <c>backport-filter-criteria</c>). Built from the stored resource by <see cref="SubscriptionParser"/>.
/// </summary>
public sealed record SubscriptionDefinition(
    string Tenant,
    string Id,
    long VersionId,
    string Status,
    ChannelKind Channel,
    string? Endpoint,
    ImmutableArray<KeyValuePair<string, string>> Headers,
    PayloadContent Payload,
    string? PayloadMimeType)
{
    /// <summary>R4 criteria: the resource type and its search parameters.</summary>
    public string? CriteriaType { get; init; }

    public ImmutableArray<KeyValuePair<string, string>> CriteriaParameters { get; init; } = [];

    /// <summary>Backport: the SubscriptionTopic canonical (null for R4 criteria subscriptions).</summary>
    public string? Topic { get; init; }

    /// <summary>Backport filters, each a search "Type?params" the focus resource must match.</summary>
    public ImmutableArray<(string Type, ImmutableArray<KeyValuePair<string, string>> Parameters)> Filters { get; init; } = [];

    /// <summary>Backport heartbeat period (null: none).</summary>
    public TimeSpan? HeartbeatPeriod { get; init; }

    /// <summary>Subscription.end: after it the subscription is off.</summary>
    public DateTimeOffset? End { get; init; }

    public bool IsTopicBased => Topic is not null;

    /// <summary>What a delivery breaker and concurrency limit are keyed by: scheme, host and port.</summary>
    public string EndpointKey => Channel == ChannelKind.WebSocket || Endpoint is null
        ? "websocket"
        : Uri.TryCreate(Endpoint, UriKind.Absolute, out var u) ? $"{u.Scheme}://{u.Authority}" : Endpoint;
}

/// <summary>A backport SubscriptionTopic (an R4 Basic carrying the R5 cross-version extensions):
/// its canonical and resource triggers.</summary>
public sealed record TopicDefinition(string Tenant, string Id, string Url, ImmutableArray<TopicTrigger> Triggers);

/// <summary>One resourceTrigger: the resource type and the interactions (empty = all) that fire it.</summary>
public sealed record TopicTrigger(string ResourceType, ImmutableArray<string> Interactions)
{
    public bool Fires(string type, Meridian.Storage.ChangeKind kind) =>
        string.Equals(type, ResourceType, StringComparison.Ordinal)
        && (Interactions.IsDefaultOrEmpty || Interactions.Contains(kind switch
        {
            Meridian.Storage.ChangeKind.Create => "create",
            Meridian.Storage.ChangeKind.Update => "update",
            _ => "delete",
        }, StringComparer.Ordinal));
}
