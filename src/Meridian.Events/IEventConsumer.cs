using Meridian.Storage;

namespace Meridian.Events;

/// <summary>
/// Something downstream of the change feed (subscriptions, clinical notifications, HL7 outbound…).
/// Events arrive in commit order, at least once: after a crash, a broker restart or a failed
/// batch the same events come again, so a consumer de-duplicates by <see cref="ChangeRecord.Sequence"/>
/// (the backbone already skips anything at or below the consumer's durable position).
/// </summary>
public interface IEventConsumer
{
    /// <summary>Stable, unique name; the consumer's durable position is kept under it, so
    /// renaming a consumer makes it start again from the beginning of the feed.</summary>
    string Name { get; }

    /// <summary>
    /// Handles a batch in commit order. Returning means every event in it is durably dealt with
    /// (for subscriptions: queued for delivery), after which the backbone advances the
    /// consumer's position past the batch. Throwing means nothing in it counts: the batch is
    /// offered again later. A consumer must stay fast: slow work (HTTP delivery) belongs on the
    /// consumer's own queue so that one slow endpoint never holds back the feed.
    /// </summary>
    Task HandleAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken);
}
