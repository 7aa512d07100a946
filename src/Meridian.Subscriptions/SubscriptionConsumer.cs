using Meridian.Events;
using Meridian.Storage;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions;

/// <summary>
/// The subscriptions' consumer of the change feed. Fast by design: per change it finds the
/// tenant's interested subscriptions, checks each one's criteria as its creator, and queues
/// one notification per (subscription, change) — the whole batch in one transaction, each with
/// the subscription's next event number. Delivery (slow, failing, hanging endpoints) happens
/// elsewhere (<see cref="Delivery.SubscriptionDelivery"/>), so it never holds back the feed.
/// </summary>
public sealed class SubscriptionConsumer(SubscriptionRegistry registry, SubscriptionLifecycle lifecycle, SubscriptionMatcher matcher, SubscriptionQueue queue, SubscriptionMetrics metrics, Action? queued = null) : IEventConsumer
{
    public string Name => "subscriptions";

    public async Task HandleAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        await lifecycle.RetryAwaitingOwnerAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<EnqueueItem>();
        foreach (var change in events)
        {
            await lifecycle.EnsureTenantAsync(change.Tenant, cancellationToken).ConfigureAwait(false);
            if (change.Type is "Subscription" or "Basic")
            {
                await lifecycle.OnChangeAsync(change, cancellationToken).ConfigureAwait(false);
            }
            foreach (var candidate in registry.Candidates(change).ToList())
            {
                if (await matcher.MatchesAsync(candidate, change, cancellationToken).ConfigureAwait(false) == MatchOutcome.Match)
                {
                    items.Add(new EnqueueItem(change.Tenant, candidate.Definition.Id, change));
                    metrics.Matched(candidate.Definition);
                }
            }
        }
        if (await queue.EnqueueAsync(items, cancellationToken).ConfigureAwait(false) > 0)
        {
            queued?.Invoke();
        }
    }
}
