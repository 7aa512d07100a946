namespace Meridian.Events;

/// <summary>
/// Durable per-consumer positions in the change feed: the sequence of the last event a
/// consumer finished. Kept in the platform database so that positions survive restarts and
/// are shared by every node.
/// </summary>
public interface IConsumerPositions
{
    /// <summary>The last finished sequence, or 0 when the consumer never ran.</summary>
    Task<long> GetAsync(string consumer, CancellationToken cancellationToken);

    /// <summary>Moves the position forward to <paramref name="sequence"/>; never backwards
    /// (a late, duplicate acknowledgement must not rewind it).</summary>
    Task AdvanceAsync(string consumer, long sequence, CancellationToken cancellationToken);
}
