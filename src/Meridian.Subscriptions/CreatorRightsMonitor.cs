using Meridian.Api;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions;

/// <summary>
/// Why a subscription creator's rights no longer hold (its client was removed, its user disabled
/// or deleted…), or null while they do. The host supplies it from its identity provider (the
/// built-in one: <c>Meridian.Server/Subscriptions/IdentityRevocationCheck</c>); the rights
/// captured at create/update are otherwise frozen.
/// </summary>
public delegate Task<string?> CreatorRevocation(string tenant, Caller creator, CancellationToken cancellationToken);

/// <summary>
/// Re-checks, every <see cref="Interval"/>, the creator of every served subscription against a
/// <see cref="CreatorRevocation"/>. A revoked creator turns the subscription <c>off</c> with the
/// reason in <c>Subscription.error</c>: it leaves the registry at once (nothing more is matched or
/// delivered, queued notifications included), and the resource change keeps it off on every node.
/// A client re-enables it by updating it (status <c>requested</c>), which captures the updater's
/// rights afresh. A failing check (identity store unreachable) changes nothing and is retried.
/// </summary>
public sealed class CreatorRightsMonitor : IAsyncDisposable
{
    public const string ReasonPrefix = "the creator's rights were revoked: ";

    private readonly SubscriptionRegistry _registry;
    private readonly SubscriptionLifecycle _lifecycle;
    private readonly CreatorRevocation _check;
    private readonly Action<Exception>? _onError;
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    /// <param name="onError">Told about a check that failed (logged by the host); the next tick tries again.</param>
    public CreatorRightsMonitor(SubscriptionRegistry registry, SubscriptionLifecycle lifecycle, CreatorRevocation check, TimeSpan interval, Action<Exception>? onError = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        (_registry, _lifecycle, _check, Interval, _onError) = (registry, lifecycle, check, interval, onError);
    }

    public TimeSpan Interval { get; }

    /// <summary>Checks every served subscription once; returns how many were turned off.</summary>
    public async Task<int> CheckAsync(CancellationToken ct)
    {
        var revoked = 0;
        foreach (var tenant in _registry.Tenants.ToList())
        {
            foreach (var subscription in _registry.View(tenant).Subscriptions.Values.ToList())
            {
                if (await _check(tenant, subscription.Owner, ct).ConfigureAwait(false) is not { } reason)
                {
                    continue;
                }
                var d = subscription.Definition;
                _registry.RemoveSubscription(d.Tenant, d.Id);
                await _lifecycle.SetStatusAsync(subscription, SubscriptionStatusCodes.Off, ReasonPrefix + reason, ct).ConfigureAwait(false);
                revoked++;
            }
        }
        return revoked;
    }

    /// <summary>Runs <see cref="CheckAsync"/> every <see cref="Interval"/> until disposed.</summary>
    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    await CheckAsync(stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stop.IsCancellationRequested)
                {
                    _onError?.Invoke(ex);
                    // Unknown is not revoked: try again at the next tick rather than switch
                    // subscriptions off because the identity store hiccupped.
                }
            }
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        _stop.Dispose();
    }
}
