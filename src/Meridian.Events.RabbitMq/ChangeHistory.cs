using Meridian.Storage;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// Reads the change feed (the outbox) after a sequence, in commit order, at most
/// <paramref name="max"/> events: <c>IFhirStore.ReadChangesAsync</c> in the server. A queue only
/// holds what was published after it was declared, so a subscription fills the gap between its
/// consumer's durable position and its queue from here (see <see cref="ConsumerStart"/>).
/// </summary>
public delegate Task<IReadOnlyList<ChangeRecord>> ChangeHistory(long afterSequence, int max, CancellationToken cancellationToken);

/// <summary>Where a consumer that has no durable position yet (a new consumer) starts.</summary>
public enum ConsumerStart
{
    /// <summary>At the beginning of the feed, as the in-process transport does: history first,
    /// then the queue (the default).</summary>
    Beginning,

    /// <summary>At whatever its queue holds when it first consumes: no history.</summary>
    Now,
}
