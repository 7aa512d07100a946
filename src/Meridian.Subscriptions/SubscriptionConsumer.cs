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
        var segment = new List<ChangeRecord>();
        foreach (var change in events)
        {
            await lifecycle.EnsureTenantAsync(change.Tenant, cancellationToken).ConfigureAwait(false);
            if (change.Type is "Subscription" or "Basic")
            {
                // Changes before a subscription change are matched against the subscriptions as they were.
                await MatchAsync(segment, items, cancellationToken).ConfigureAwait(false);
                segment.Clear();
                await lifecycle.OnChangeAsync(change, cancellationToken).ConfigureAwait(false);
            }
            segment.Add(change);
        }
        await MatchAsync(segment, items, cancellationToken).ConfigureAwait(false);
        // Event numbers follow commit order within each subscription.
        items.Sort((a, b) => a.Change.Sequence.CompareTo(b.Change.Sequence));
        if (await queue.EnqueueAsync(items, cancellationToken).ConfigureAwait(false) > 0)
        {
            queued?.Invoke();
        }
    }

    private async Task MatchAsync(List<ChangeRecord> segment, List<EnqueueItem> items, CancellationToken ct)
    {
        if (segment.Count == 0)
        {
            return;
        }
        var perSubscription = new Dictionary<(string Tenant, string Id), (RegisteredSubscription Subscription, List<ChangeRecord> Changes)>();
        foreach (var change in segment)
        {
            foreach (var candidate in registry.Candidates(change))
            {
                var key = (candidate.Definition.Tenant, candidate.Definition.Id);
                if (!perSubscription.TryGetValue(key, out var entry))
                {
                    entry = (candidate, []);
                    perSubscription[key] = entry;
                }
                entry.Changes.Add(change);
            }
        }
        var cache = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (subscription, changes) in perSubscription.Values)
        {
            var matched = await matcher.MatchManyAsync(subscription, changes, cache, ct).ConfigureAwait(false);
            foreach (var change in changes.Where(c => matched.Contains(c.Sequence)))
            {
                items.Add(new EnqueueItem(change.Tenant, subscription.Definition.Id, change));
                metrics.Matched(subscription.Definition);
            }
        }
    }
}
