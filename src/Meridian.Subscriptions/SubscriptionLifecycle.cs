using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Storage;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Subscriptions.Model;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions;

/// <summary>
/// Keeps the registry in step with the stored Subscriptions and topics and moves a subscription
/// through its states: <c>requested</c> → validated against its creator's rights → <c>active</c>
/// (R4 at once; a backport subscription once its handshake is delivered) → <c>error</c> while
/// deliveries fail → back to <c>active</c>; <c>off</c> (set by a client) stops delivery.
/// A subscription is served only once its creator is on record (<see cref="SubscriptionInterceptor"/>
/// records it right after the create commits), so nothing is ever sent under unknown rights.
/// </summary>
public sealed class SubscriptionLifecycle(IFhirStore store, SubscriptionRegistry registry, SubscriptionQueue queue, SubscriptionMatcher matcher, SubscriptionStatusWriter statusWriter) : IDisposable
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), byte> _awaitingOwner = new();
    // Serialises every refresh of the registry: tenant loads, subscription changes, owner retries.
    private readonly SemaphoreSlim _loadLock = new(1, 1);

    // Tenants whose load has COMPLETED. Not the registry's own "has a view" test: the load puts a
    // tenant's subscriptions into the registry one by one, so during a load the registry already
    // holds the tenant (empty or partial). A consumer batch that took that for "loaded" matched
    // its changes against no subscriptions and its position moved past them for good -- the
    // crash test's lost notification (after a restart, the delivery loop's start-up load and the
    // feed's first batch run at the same time).
    private readonly ConcurrentDictionary<string, byte> _loaded = new(StringComparer.Ordinal);

    /// <summary>Loads every tenant that has subscriptions on record (at start, so heartbeats and
    /// retries run before the first new change arrives).</summary>
    public async Task LoadAllAsync(CancellationToken ct)
    {
        foreach (var tenant in (await queue.AllStatesAsync(ct).ConfigureAwait(false)).Select(s => s.Tenant).Distinct(StringComparer.Ordinal))
        {
            await EnsureTenantAsync(tenant, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Returns once the tenant's subscriptions and topics are all in the registry
    /// (waits for a load another caller has under way).</summary>
    public async Task EnsureTenantAsync(string tenant, CancellationToken ct)
    {
        if (_loaded.ContainsKey(tenant))
        {
            return;
        }
        await _loadLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_loaded.ContainsKey(tenant))
            {
                return;
            }
            registry.Load(tenant, SubscriptionRegistry.TenantView.Empty);
            try
            {
                foreach (var basic in await AllAsync(tenant, "Basic", ct).ConfigureAwait(false))
                {
                    if (TopicParser.Parse(tenant, basic.Id, basic.Json.Span) is { } topic)
                    {
                        registry.PutTopic(topic);
                    }
                }
                foreach (var subscription in await AllAsync(tenant, "Subscription", ct).ConfigureAwait(false))
                {
                    await RefreshAsync(subscription, ct).ConfigureAwait(false);
                }
                _loaded[tenant] = 0;
            }
            catch
            {
                // A load that failed part way (the database busy at start-up, say) must not leave
                // the tenant marked loaded with some or none of its subscriptions: nothing would
                // ever deliver for the missing ones. Forget it; the next pass loads it again.
                registry.Unload(tenant);
                throw;
            }
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>Reacts to a change of a Subscription or a Basic (possible topic).</summary>
    public async Task OnChangeAsync(ChangeRecord change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        await _loadLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await ApplyChangeAsync(change, ct).ConfigureAwait(false);
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private async Task ApplyChangeAsync(ChangeRecord change, CancellationToken ct)
    {
        if (change.Type == "Basic")
        {
            var basic = await store.ReadAsync(change.Tenant, "Basic", change.Id, ct).ConfigureAwait(false);
            if (basic is null || basic.IsDeleted || TopicParser.Parse(change.Tenant, change.Id, basic.Json.Span) is not { } topic)
            {
                registry.RemoveTopic(change.Tenant, change.Id);
            }
            else
            {
                registry.PutTopic(topic);
            }
            return;
        }
        var current = await store.ReadAsync(change.Tenant, "Subscription", change.Id, ct).ConfigureAwait(false);
        if (current is null || current.IsDeleted)
        {
            registry.RemoveSubscription(change.Tenant, change.Id);
            _awaitingOwner.TryRemove((change.Tenant, change.Id), out _);
            await queue.RemoveAsync(change.Tenant, change.Id, ct).ConfigureAwait(false);
            return;
        }
        await RefreshAsync(current, ct).ConfigureAwait(false);
    }

    /// <summary>Retries subscriptions whose creator was not yet on record.</summary>
    /// <remarks>Called by both the feed consumer and the delivery loop. Every refresh of the registry
    /// (this, <see cref="OnChangeAsync"/>, a tenant load) runs under one lock: each reads the
    /// subscription's state and applies what it read, and unserialised, a refresh that read "no
    /// creator yet" could apply that after another had already served the subscription -- removing
    /// it from the registry while the consumer matched a batch, whose changes were then lost.
    /// <para>It also waits for a refresh already under way: a refresh takes the subscription
    /// off the awaiting list before it validates it and serves it, so a consumer that found the
    /// list empty and went on would match its batch while the subscription was in neither place
    /// (its first changes, committed after the creator was on record, were lost: the crash test's
    /// "patients 0-2 never notified").</para></remarks>
    public async Task RetryAwaitingOwnerAsync(CancellationToken ct)
    {
        if (_awaitingOwner.IsEmpty && _loadLock.CurrentCount > 0)
        {
            return;
        }
        await _loadLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await RetryAwaitingOwnerLockedAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private async Task RetryAwaitingOwnerLockedAsync(CancellationToken ct)
    {
        foreach (var (tenant, id) in _awaitingOwner.Keys)
        {
            var current = await store.ReadAsync(tenant, "Subscription", id, ct).ConfigureAwait(false);
            if (current is null || current.IsDeleted)
            {
                _awaitingOwner.TryRemove((tenant, id), out _);
                continue;
            }
            await RefreshAsync(current, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Backport: the handshake was delivered, so the subscription is active.</summary>
    public async Task ActivateAsync(RegisteredSubscription subscription, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var d = subscription.Definition;
        await queue.MarkHandshakeAsync(d.Tenant, d.Id, done: true, ct).ConfigureAwait(false);
        await SetStatusAsync(subscription, SubscriptionStatusCodes.Active, null, ct).ConfigureAwait(false);
    }

    /// <summary>Records a delivery status (and last error) in the queue, the registry and on the resource.</summary>
    public async Task SetStatusAsync(RegisteredSubscription subscription, string status, string? error, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var d = subscription.Definition;
        await queue.SetStatusAsync(d.Tenant, d.Id, status, error, ct).ConfigureAwait(false);
        if (registry.Find(d.Tenant, d.Id) is { } now && now.Definition.VersionId == d.VersionId)
        {
            registry.Put(now with { Definition = now.Definition with { Status = status } });
        }
        await statusWriter.WriteAsync(d.Tenant, d.Id, status, error, ct).ConfigureAwait(false);
    }

    private async Task RefreshAsync(StoredResource resource, CancellationToken ct)
    {
        var key = (resource.Tenant, resource.Id);
        var state = await queue.GetStateAsync(resource.Tenant, resource.Id, ct).ConfigureAwait(false);
        if (state?.Owner is null)
        {
            registry.RemoveSubscription(resource.Tenant, resource.Id);
            _awaitingOwner[key] = 0;
            return;
        }
        _awaitingOwner.TryRemove(key, out _);
        var (definition, problem) = SubscriptionParser.Parse(resource.Tenant, resource.Id, resource.VersionId, resource.Json.Span);
        if (definition is null)
        {
            registry.RemoveSubscription(resource.Tenant, resource.Id);
            await queue.SetStatusAsync(resource.Tenant, resource.Id, SubscriptionStatusCodes.Error, problem, ct).ConfigureAwait(false);
            await statusWriter.WriteAsync(resource.Tenant, resource.Id, SubscriptionStatusCodes.Error, problem, ct).ConfigureAwait(false);
            return;
        }
        var subscription = new RegisteredSubscription(definition, OwnerCodec.Decode(state.Owner));
        if (definition.Status is SubscriptionStatusCodes.Off or "entered-in-error" || definition.End is { } end && end <= DateTimeOffset.UtcNow)
        {
            registry.RemoveSubscription(resource.Tenant, resource.Id);
            await queue.SetStatusAsync(resource.Tenant, resource.Id, SubscriptionStatusCodes.Off, null, ct).ConfigureAwait(false);
            return;
        }
        if (definition.Status == SubscriptionStatusCodes.Requested || state.Status == SubscriptionStatusCodes.Requested)
        {
            var (outcome, why) = await matcher.ValidateAsync(subscription, ct).ConfigureAwait(false);
            if (outcome != MatchOutcome.Match)
            {
                registry.RemoveSubscription(resource.Tenant, resource.Id);
                await queue.SetStatusAsync(resource.Tenant, resource.Id, SubscriptionStatusCodes.Error, why, ct).ConfigureAwait(false);
                await statusWriter.WriteAsync(resource.Tenant, resource.Id, SubscriptionStatusCodes.Error, why, ct).ConfigureAwait(false);
                return;
            }
            if (definition.IsTopicBased && !state.HandshakeDone)
            {
                // Served (events queue up) but not active until the handshake reaches the endpoint.
                registry.Put(subscription with { Definition = definition with { Status = SubscriptionStatusCodes.Requested } });
                await queue.SetStatusAsync(resource.Tenant, resource.Id, SubscriptionStatusCodes.Requested, null, ct).ConfigureAwait(false);
                return;
            }
            registry.Put(subscription with { Definition = definition with { Status = SubscriptionStatusCodes.Active } });
            await queue.SetStatusAsync(resource.Tenant, resource.Id, SubscriptionStatusCodes.Active, null, ct).ConfigureAwait(false);
            await statusWriter.WriteAsync(resource.Tenant, resource.Id, SubscriptionStatusCodes.Active, null, ct).ConfigureAwait(false);
            return;
        }
        // active or error on the resource: the queue's record of delivery health is the truth.
        // A backport subscription whose handshake never got through stays "requested" here (the
        // worker keeps trying the handshake), whatever the resource shows meanwhile.
        var served = definition.IsTopicBased && !state.HandshakeDone ? SubscriptionStatusCodes.Requested
            : state.Status is SubscriptionStatusCodes.Off or SubscriptionStatusCodes.Requested ? SubscriptionStatusCodes.Active : state.Status;
        registry.Put(subscription with { Definition = definition with { Status = served } });
    }

    public void Dispose() => _loadLock.Dispose();

    private async Task<ImmutableArray<StoredResource>> AllAsync(string tenant, string type, CancellationToken ct)
    {
        var all = ImmutableArray.CreateBuilder<StoredResource>();
        string? cursor = null;
        for (var page = 0; page < 1000; page++)
        {
            var result = await store.SearchAsync(tenant, new SearchQuery(type) { Count = 500, Cursor = cursor }, ct).ConfigureAwait(false);
            all.AddRange(result.Matches);
            cursor = result.NextCursor;
            if (cursor is null)
            {
                break;
            }
        }
        return all.ToImmutable();
    }
}
