using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Api;
using Meridian.Storage;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions;

/// <summary>An active (or erroring) subscription as the matcher and the delivery workers see it.</summary>
public sealed record RegisteredSubscription(SubscriptionDefinition Definition, Caller Owner);

/// <summary>
/// The in-memory view of every tenant's served subscriptions and topics, kept current from
/// Subscription and Basic changes on the feed (<see cref="SubscriptionLifecycle"/>) and loaded
/// per tenant on first use. Each tenant's view is an immutable snapshot swapped atomically, so
/// matching reads it without locks.
/// </summary>
public sealed class SubscriptionRegistry
{
    private readonly ConcurrentDictionary<string, TenantView> _tenants = new(StringComparer.Ordinal);

    /// <summary>A tenant's subscriptions (by id) and topics (by canonical).</summary>
    public sealed record TenantView(ImmutableDictionary<string, RegisteredSubscription> Subscriptions, ImmutableDictionary<string, TopicDefinition> Topics)
    {
        public static TenantView Empty { get; } = new(ImmutableDictionary.Create<string, RegisteredSubscription>(StringComparer.Ordinal), ImmutableDictionary.Create<string, TopicDefinition>(StringComparer.Ordinal));
    }

    public TenantView View(string tenant) => _tenants.TryGetValue(tenant, out var v) ? v : TenantView.Empty;

    public IEnumerable<string> Tenants => _tenants.Keys;

    public RegisteredSubscription? Find(string tenant, string id) => View(tenant).Subscriptions.GetValueOrDefault(id);

    public void Load(string tenant, TenantView view) => _tenants[tenant] = view;

    /// <summary>Forgets a tenant whose load failed part way, so the next pass loads it again.</summary>
    public void Unload(string tenant) => _tenants.TryRemove(tenant, out _);

    public void Put(RegisteredSubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        Update(subscription.Definition.Tenant, v => v with { Subscriptions = v.Subscriptions.SetItem(subscription.Definition.Id, subscription) });
    }

    public void RemoveSubscription(string tenant, string id) => Update(tenant, v => v with { Subscriptions = v.Subscriptions.Remove(id) });

    public void PutTopic(TopicDefinition topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Update(topic.Tenant, v => v with { Topics = v.Topics.RemoveRange(v.Topics.Where(t => t.Value.Id == topic.Id).Select(t => t.Key)).SetItem(topic.Url, topic) });
    }

    public void RemoveTopic(string tenant, string id) => Update(tenant, v => v with { Topics = v.Topics.RemoveRange(v.Topics.Where(t => t.Value.Id == id).Select(t => t.Key)) });

    /// <summary>The subscriptions of the change's tenant that could be interested in it (type and
    /// trigger match; the criteria and the owner's access are checked by the matcher).</summary>
    public IEnumerable<RegisteredSubscription> Candidates(ChangeRecord change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Kind == ChangeKind.Purge)
        {
            yield break;
        }
        var view = View(change.Tenant);
        foreach (var s in view.Subscriptions.Values)
        {
            var d = s.Definition;
            if (d.Status is not (SubscriptionStatusCodes.Active or SubscriptionStatusCodes.Error or SubscriptionStatusCodes.Requested))
            {
                continue;
            }
            if (d.IsTopicBased)
            {
                if (view.Topics.TryGetValue(d.Topic!, out var topic) && topic.Triggers.Any(t => t.Fires(change.Type, change.Kind)))
                {
                    yield return s;
                }
            }
            else if (d.CriteriaType == change.Type && change.Kind != ChangeKind.Delete)
            {
                // R4: criteria apply to the new content, so a delete notifies nobody (R4 Subscription, "Content").
                yield return s;
            }
        }
    }

    private void Update(string tenant, Func<TenantView, TenantView> change) =>
        _tenants.AddOrUpdate(tenant, _ => change(TenantView.Empty), (_, v) => change(v));
}
