using System.Collections.Immutable;
using Meridian.Storage;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions.Operations;

/// <summary>
/// Records the creator of each Subscription a request creates or updates IN the request's own
/// transaction (<see cref="ITransactionParticipant"/>): recorded after the commit, a crash between
/// the two left a committed Subscription without an owner, which the lifecycle never serves (it
/// waits for the creator). The store re-runs a participant when it retries the request; the
/// upsert is idempotent. A request that fails rolls its savepoint back, the owner row with it.
/// </summary>
internal sealed class OwnerParticipant(byte[] owner, long now, ITransactionParticipant? inner) : ITransactionParticipant
{
    /// <summary>True once a relational store considered it (<see cref="Joins"/>; a store without
    /// SQL ignores participants: then the interceptor records the owner after the commit, as before).</summary>
    public bool Ran { get; private set; }

    /// <summary>How many owner rows it wrote (over every transaction it joined: each batch entry's, or a retry's).</summary>
    public int Recorded => Volatile.Read(ref _recorded);

    private int _recorded;

    public async ValueTask<ImmutableArray<WriteOperation>> ParticipateAsync(ParticipantContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var id in SubscriptionIds(context.Operations))
        {
            var statement = SubscriptionQueue.OwnerUpsert(context.Dialect, context.Tenant, id, owner, now);
            await using var cmd = statement.ToCommand(context.Connection, context.Transaction);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _recorded);
        }
        Ran = true;
        return inner is null ? [] : await inner.ParticipateAsync(context, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Only requests that write a Subscription (or that the wrapped participant joins):
    /// decided on the parsed operations, so a Bundle costs nothing extra unless it carries one.</summary>
    public bool Joins(IReadOnlyList<WriteOperation> operations)
    {
        Ran = true;
        return SubscriptionIds(operations).Any() || (inner?.Joins(operations) ?? false);
    }

    private static IEnumerable<string> SubscriptionIds(IReadOnlyList<WriteOperation> operations) =>
        operations.Select(op => op switch
        {
            CreateOperation { Type: "Subscription", Id: { } id } => id,
            UpdateOperation { Type: "Subscription" } u => u.Id,
            _ => null,
        }).OfType<string>().Distinct(StringComparer.Ordinal);
}
