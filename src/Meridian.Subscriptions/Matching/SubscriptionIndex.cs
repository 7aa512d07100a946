using System.Collections.Immutable;
using Meridian.Storage;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions.Matching;

/// <summary>A subscription's criteria for one type and which kinds of change it listens to.</summary>
public sealed record IndexedSubscription(RegisteredSubscription Subscription, CompiledCriteria Criteria, Func<ChangeKind, bool> Fires);

/// <summary>
/// One tenant's served subscriptions indexed for matching, built from an immutable registry view
/// (<see cref="SubscriptionRegistry.TenantView"/>) and rebuilt when the view changes. Per resource
/// type: subscriptions whose criteria have anchors (token codes, reference ids) by anchor, the
/// in-memory ones without anchors (checked against every change of the type), and those whose
/// criteria need the store's search (dates, chains, …). With 1,000 subscriptions a change is
/// checked only against the few whose anchors it carries.
/// </summary>
public sealed class SubscriptionIndex
{
    private readonly Dictionary<string, TypeIndex> _types;

    private SubscriptionIndex(Dictionary<string, TypeIndex> types) => _types = types;

    /// <summary>The subscriptions indexed for one resource type.</summary>
    public sealed class TypeIndex
    {
        public Dictionary<AnchorKey, List<IndexedSubscription>> Anchored { get; } = [];
        public List<IndexedSubscription> Unanchored { get; } = [];
        public List<IndexedSubscription> SearchOnly { get; } = [];

        public bool HasInMemory => Anchored.Count > 0 || Unanchored.Count > 0;
    }

    public TypeIndex? For(string type) => _types.GetValueOrDefault(type);

    /// <summary>The in-memory candidates for a change of <paramref name="facts"/>: unanchored ones and those whose anchors it carries (each once).</summary>
    public static IEnumerable<IndexedSubscription> Candidates(TypeIndex index, ResourceFacts facts, ChangeKind kind)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(facts);
        var seen = new HashSet<IndexedSubscription>(ReferenceEqualityComparer.Instance);
        foreach (var s in index.Unanchored)
        {
            if (s.Fires(kind) && seen.Add(s))
            {
                yield return s;
            }
        }
        if (index.Anchored.Count == 0)
        {
            yield break;
        }
        foreach (var key in CompiledCriteria.KeysOf(facts))
        {
            if (index.Anchored.TryGetValue(key, out var list))
            {
                foreach (var s in list)
                {
                    if (s.Fires(kind) && seen.Add(s))
                    {
                        yield return s;
                    }
                }
            }
        }
    }

    /// <param name="compiled">Entries of R4 subscriptions from earlier builds, by the registry's
    /// (immutable) subscription object: a view change replaces one subscription, so a rebuild
    /// recompiles only that one (1,000 subscriptions activating would otherwise cost 1,000² compilations).</param>
    public static SubscriptionIndex Build(SubscriptionRegistry.TenantView view, CriteriaCache cache, System.Runtime.CompilerServices.ConditionalWeakTable<RegisteredSubscription, IndexedSubscription>? compiled = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(cache);
        var types = new Dictionary<string, TypeIndex>(StringComparer.Ordinal);
        foreach (var s in view.Subscriptions.Values)
        {
            var d = s.Definition;
            if (d.Status is not (SubscriptionStatusCodes.Active or SubscriptionStatusCodes.Error or SubscriptionStatusCodes.Requested))
            {
                continue;
            }
            if (d.IsTopicBased)
            {
                if (!view.Topics.TryGetValue(d.Topic!, out var topic))
                {
                    continue;
                }
                foreach (var byType in topic.Triggers.GroupBy(t => t.ResourceType, StringComparer.Ordinal))
                {
                    var triggers = byType.ToImmutableArray();
                    var type = byType.Key;
                    var parameters = d.Filters.Where(f => f.Type == type).SelectMany(f => f.Parameters).ToList();
                    Add(types, type, new IndexedSubscription(s, cache.Get(type, parameters), kind => triggers.Any(t => t.Fires(type, kind))));
                }
            }
            else if (d.CriteriaType is { } type)
            {
                // R4: criteria apply to the new content, so a delete notifies nobody (R4 Subscription, "Content").
                var entry = compiled is null
                    ? new IndexedSubscription(s, cache.Get(type, d.CriteriaParameters), s_notDelete)
                    : compiled.GetValue(s, x => new IndexedSubscription(x, cache.Get(x.Definition.CriteriaType!, x.Definition.CriteriaParameters), s_notDelete));
                Add(types, type, entry);
            }
        }
        return new SubscriptionIndex(types);
    }

    private static readonly Func<ChangeKind, bool> s_notDelete = kind => kind != ChangeKind.Delete;

    private static void Add(Dictionary<string, TypeIndex> types, string type, IndexedSubscription s)
    {
        if (!types.TryGetValue(type, out var index))
        {
            index = new TypeIndex();
            types[type] = index;
        }
        if (!s.Criteria.InMemory)
        {
            index.SearchOnly.Add(s);
        }
        else if (s.Criteria.Anchors.IsEmpty)
        {
            index.Unanchored.Add(s);
        }
        else
        {
            foreach (var key in s.Criteria.Anchors.Distinct())
            {
                if (!index.Anchored.TryGetValue(key, out var list))
                {
                    list = [];
                    index.Anchored[key] = list;
                }
                list.Add(s);
            }
        }
    }
}
