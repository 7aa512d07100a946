using System.Collections.Concurrent;
using Meridian.Events;
using Meridian.Fhir.Search;
using Meridian.Storage;
using Meridian.Subscriptions.Matching;
using Meridian.Subscriptions.Model;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions;

/// <summary>
/// The subscriptions' consumer of the change feed. Fast by design: per change it finds the
/// tenant's interested subscriptions through the <see cref="SubscriptionIndex"/>, evaluates their
/// criteria in memory against the EVENT's version (read once per change, indexed with the
/// store's own <see cref="SearchIndexer"/>), confirms the creators may read what matched (one
/// search per creator and type per batch), and queues one notification per (subscription,
/// change) — the whole batch in one transaction, each with the subscription's next event number.
/// Criteria the in-memory evaluator does not cover (dates, chains, …) and deletes keep the
/// search path (<see cref="SubscriptionMatcher"/>). Delivery happens elsewhere
/// (<see cref="Delivery.SubscriptionDelivery"/>), so it never holds back the feed.
/// </summary>
public sealed class SubscriptionConsumer(SubscriptionRegistry registry, SubscriptionLifecycle lifecycle, SubscriptionMatcher matcher, SubscriptionQueue queue, SubscriptionMetrics metrics,
    IFhirStore store, Action? queued = null, Delivery.VersionCache? versions = null, Delivery.DeliveredAcks? acks = null) : IEventConsumer
{
    private readonly CriteriaCache _criteria = new();
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<RegisteredSubscription, IndexedSubscription> _compiled = new();
    private readonly ConcurrentDictionary<string, (SubscriptionRegistry.TenantView View, SubscriptionIndex Index)> _indexes = new(StringComparer.Ordinal);

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
        // The delivery acks waiting for their flush are marked in the same transaction.
        if (await queue.EnqueueAsync(items, acks, cancellationToken).ConfigureAwait(false) > 0)
        {
            queued?.Invoke();
        }
    }

    /// <summary>The tenant's index for its current registry view (rebuilt only when the view changed).</summary>
    public SubscriptionIndex IndexFor(string tenant)
    {
        var view = registry.View(tenant);
        if (_indexes.TryGetValue(tenant, out var built) && ReferenceEquals(built.View, view))
        {
            return built.Index;
        }
        var index = SubscriptionIndex.Build(view, _criteria, _compiled);
        _indexes[tenant] = (view, index);
        return index;
    }

    private async Task MatchAsync(List<ChangeRecord> segment, List<EnqueueItem> items, CancellationToken ct)
    {
        if (segment.Count == 0)
        {
            return;
        }
        var bySearch = new Dictionary<(string Tenant, string Id), (RegisteredSubscription Subscription, List<ChangeRecord> Changes)>();
        var inMemory = new List<(RegisteredSubscription Subscription, ChangeRecord Change)>();
        var toRead = new List<(ChangeRecord Change, SubscriptionIndex.TypeIndex Index)>();
        foreach (var change in segment)
        {
            if (change.Kind == ChangeKind.Purge)
            {
                continue;
            }
            if (change.Kind == ChangeKind.Delete)
            {
                // A deleted resource has no content to index: the search path reads the version before it.
                foreach (var candidate in registry.Candidates(change))
                {
                    AddSearch(bySearch, candidate, change);
                }
                continue;
            }
            if (IndexFor(change.Tenant).For(change.Type) is not { } index)
            {
                continue;
            }
            foreach (var s in index.SearchOnly.Where(s => s.Fires(change.Kind)))
            {
                AddSearch(bySearch, s.Subscription, change);
            }
            if (index.HasInMemory)
            {
                toRead.Add((change, index));
            }
        }
        var facts = new ResourceFacts?[toRead.Count];
        var stored = new StoredResource?[toRead.Count];
        await Parallel.ForAsync(0, toRead.Count, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, t) =>
        {
            var c = toRead[i].Change;
            // The event's own version, not the current one: a later update must not decide whether this event matched.
            stored[i] = await store.ReadVersionAsync(c.Tenant, c.Type, c.Id, c.VersionId, t).ConfigureAwait(false);
            facts[i] = stored[i] is { } version ? ResourceFacts.From(version, SearchIndexer.R4) : null;
        }).ConfigureAwait(false);
        for (var i = 0; i < toRead.Count; i++)
        {
            var (change, index) = toRead[i];
            if (facts[i] is not { } f)
            {
                await VersionMissingAsync(change, index, bySearch, ct).ConfigureAwait(false);
                continue;
            }
            foreach (var candidate in SubscriptionIndex.Candidates(index, f, change.Kind))
            {
                if (CriteriaEvaluator.Matches(candidate.Criteria.Filter, f))
                {
                    inMemory.Add((candidate.Subscription, change));
                    versions?.Put(stored[i]!);
                }
            }
        }
        await AuthorizeAsync(inMemory, items, ct).ConfigureAwait(false);
        var cache = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (subscription, changes) in bySearch.Values)
        {
            var matched = await matcher.MatchManyAsync(subscription, changes, cache, ct).ConfigureAwait(false);
            foreach (var change in changes.Where(c => matched.Contains(c.Sequence)))
            {
                items.Add(new EnqueueItem(change.Tenant, subscription.Definition.Id, change));
                metrics.Matched(subscription.Definition);
            }
        }
    }

    /// <summary>
    /// The event's version could not be read. Never a silent skip: if the resource is gone
    /// altogether it was purged (nothing left to notify about; counted as dropped); if the
    /// resource is at or past the event's version, that version was removed from its history, so
    /// the in-memory subscriptions judge the change on the search path (the current version, as
    /// for deletes); otherwise the version is not visible yet and the batch is offered again.
    /// </summary>
    private async Task VersionMissingAsync(ChangeRecord change, SubscriptionIndex.TypeIndex index,
        Dictionary<(string Tenant, string Id), (RegisteredSubscription Subscription, List<ChangeRecord> Changes)> bySearch, CancellationToken ct)
    {
        var current = await store.ReadAsync(change.Tenant, change.Type, change.Id, ct).ConfigureAwait(false);
        if (current is null)
        {
            metrics.Dropped("purged", 1);
            return;
        }
        if (current.VersionId < change.VersionId)
        {
            throw new MatchUnavailableException($"{change.Type}/{change.Id} version {change.VersionId} of change {change.Sequence} is not readable yet; the batch is offered again.");
        }
        foreach (var s in index.Unanchored.Concat(index.Anchored.Values.SelectMany(l => l)).Distinct().Where(s => s.Fires(change.Kind)))
        {
            AddSearch(bySearch, s.Subscription, change);
        }
    }

    /// <summary>
    /// Keeps the in-memory matches whose resource the subscription's creator may read: per
    /// (tenant, creator, type) one search through the API as the creator with the matched ids,
    /// so scopes, roles, patient compartment and tenant apply exactly as for a client search.
    /// </summary>
    private async Task AuthorizeAsync(List<(RegisteredSubscription Subscription, ChangeRecord Change)> matches, List<EnqueueItem> items, CancellationToken ct)
    {
        var owners = new Dictionary<RegisteredSubscription, string>(ReferenceEqualityComparer.Instance);
        foreach (var group in matches.GroupBy(m => (m.Change.Tenant, m.Change.Type, Owner: OwnerKey(m.Subscription, owners))))
        {
            var allowed = await matcher.ReadableIdsAsync(group.First().Subscription, group.Key.Type, [.. group.Select(m => m.Change.Id).Distinct(StringComparer.Ordinal)], ct).ConfigureAwait(false);
            foreach (var (subscription, change) in group)
            {
                if (allowed.Contains(change.Id))
                {
                    items.Add(new EnqueueItem(change.Tenant, subscription.Definition.Id, change));
                    metrics.Matched(subscription.Definition);
                }
            }
        }
    }

    private static string OwnerKey(RegisteredSubscription s, Dictionary<RegisteredSubscription, string> owners)
    {
        if (!owners.TryGetValue(s, out var key))
        {
            key = s.Owner.IsInsecureDev ? "insecure-dev" : Convert.ToBase64String(OwnerCodec.Encode(s.Owner));
            owners[s] = key;
        }
        return key;
    }

    private static void AddSearch(Dictionary<(string Tenant, string Id), (RegisteredSubscription Subscription, List<ChangeRecord> Changes)> bySearch, RegisteredSubscription candidate, ChangeRecord change)
    {
        var key = (candidate.Definition.Tenant, candidate.Definition.Id);
        if (!bySearch.TryGetValue(key, out var entry))
        {
            entry = (candidate, []);
            bySearch[key] = entry;
        }
        entry.Changes.Add(change);
    }
}
