using Meridian.Storage;

namespace Meridian.Subscriptions.Queue;

public enum EventState { Pending = 0, Delivered = 1, DeadLetter = 2 }

/// <summary>One notification of one subscription: the change it is about and its delivery record.</summary>
public sealed record QueuedEvent(
    string Tenant,
    string SubscriptionId,
    long EventNumber,
    long ChangeSequence,
    string ResourceType,
    string ResourceId,
    long VersionId,
    ChangeKind Kind,
    DateTimeOffset CommitTime,
    string? TraceId,
    EventState State,
    int Attempts,
    DateTimeOffset NextAttempt,
    DateTimeOffset Enqueued,
    DateTimeOffset? Delivered,
    string? LastError);

/// <summary>A subscription's server-side record: its creator, delivery status and counters.</summary>
public sealed record SubscriptionState(
    string Tenant,
    string SubscriptionId,
    byte[]? Owner,
    string Status,
    string? LastError,
    DateTimeOffset? ErrorTime,
    long LastEventNumber,
    bool HandshakeDone,
    DateTimeOffset? LastSent);

/// <summary>A change matched by a subscription, to be queued.</summary>
public sealed record EnqueueItem(string Tenant, string SubscriptionId, ChangeRecord Change);
