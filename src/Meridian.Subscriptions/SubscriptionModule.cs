using Meridian.Api;
using Meridian.Storage;
using Meridian.Storage.Relational;
using Meridian.Subscriptions.Delivery;
using Meridian.Subscriptions.Operations;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions;

/// <summary>
/// Everything subscriptions need, built once over a store and the FHIR API: the feed consumer
/// (register it with the event backbone), the interceptor (register it with the FHIR host, inside
/// audit), the delivery service (start it; dispose it at shutdown) and the websocket hub.
/// <paramref name="api"/> is the API entry *without* interceptors: the matcher's internal
/// searches are not client requests and are not audited as such.
/// </summary>
public sealed class SubscriptionModule : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private int _disposed;
    private readonly Func<FhirRequest, CancellationToken, Task<FhirResponse>> _api;

    /// <param name="writeApi">How the module's own writes (status on the Subscription) enter the API:
    /// the host passes its interceptor chain so they are audited like every write; default <paramref name="api"/>.</param>
    public SubscriptionModule(IFhirStore store, Func<FhirRequest, CancellationToken, Task<FhirResponse>> api, SubscriptionOptions? options = null, HttpClient? http = null, TimeProvider? clock = null,
        Func<FhirRequest, CancellationToken, Task<FhirResponse>>? writeApi = null, CreatorRevocation? revocation = null, TimeSpan? rightsCheckInterval = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        Options = options ?? SubscriptionOptions.Default;
        var db = store.Find<IModuleDatabase>() ?? throw new ArgumentException("Subscriptions need a relational store (SQLite or PostgreSQL).", nameof(store));
        _api = api;
        _ownsHttp = http is null;
        // Timeouts are the endpoint guard's (Polly), per attempt; the client itself never gives up first.
        _http = http ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = Options.DeliveryTimeout }) { Timeout = Timeout.InfiniteTimeSpan };
        Metrics = new SubscriptionMetrics();
        Queue = new SubscriptionQueue(db, clock ?? TimeProvider.System, store.Find<IModuleGroupCommit>());
        Registry = new SubscriptionRegistry();
        var matcher = new SubscriptionMatcher(api, new MatchDrops(Queue, Metrics));
        Lifecycle = new SubscriptionLifecycle(store, Registry, Queue, matcher, new SubscriptionStatusWriter(store, writeApi ?? api));
        Hub = new WebSocketHub();
        var records = store.Find<Meridian.Storage.Records.ISystemRecordStore>();
        var lease = records is null ? null : new Meridian.Events.Positions.RecordDispatchLease(records, clock ?? TimeProvider.System);
        var versions = new VersionCache();
        Delivery = new SubscriptionDelivery(store, Registry, Lifecycle, Queue, new ChannelSender(_http, Hub), Metrics, Options, clock, lease, versions);
        Consumer = new SubscriptionConsumer(Registry, Lifecycle, matcher, Queue, Metrics, store, Delivery.Signal, versions, Delivery.Acks);
        RightsMonitor = revocation is null ? null : new CreatorRightsMonitor(Registry, Lifecycle, revocation, rightsCheckInterval ?? TimeSpan.FromSeconds(30));
        BindingTokens = records is null ? null : new WebSocketBindingTokens(records, Registry, clock ?? TimeProvider.System);
        Interceptor = new SubscriptionInterceptor(Queue, Registry, Delivery.Builder, store, Delivery.Signal, BindingTokens, clock);
    }

    public SubscriptionOptions Options { get; }
    public SubscriptionConsumer Consumer { get; }
    public SubscriptionInterceptor Interceptor { get; }
    public SubscriptionDelivery Delivery { get; }
    public WebSocketHub Hub { get; }
    public SubscriptionRegistry Registry { get; }
    public SubscriptionLifecycle Lifecycle { get; }
    public SubscriptionQueue Queue { get; }
    public SubscriptionMetrics Metrics { get; }

    /// <summary>Re-checks creators' rights when the host gave a revocation check; the host starts it.</summary>
    public CreatorRightsMonitor? RightsMonitor { get; }

    /// <summary><c>$get-ws-binding-token</c>; null on a store without platform records.</summary>
    public WebSocketBindingTokens? BindingTokens { get; }

    /// <summary>Serves one websocket of <paramref name="caller"/> (R4 <c>bind-with-id</c>): it may bind only
    /// to a websocket Subscription of its tenant that it can read through the API, or to those of a
    /// <c>$get-ws-binding-token</c> token, read again with the rights the token was issued under.</summary>
    /// <param name="api">How the binding read is made (the host passes its interceptors, so it is audited); default: the module's API.</param>
    public Task ServeWebSocketAsync(System.Net.WebSockets.WebSocket socket, string tenant, Caller caller, CancellationToken ct, Func<FhirRequest, CancellationToken, Task<FhirResponse>>? api = null) =>
        Hub.RunAsync(socket, tenant, async (text, t) =>
        {
            // A $get-ws-binding-token token binds its subscriptions with the rights it was issued under.
            var (ids, rights) = BindingTokens is not null && WebSocketBindingTokens.IsToken(text)
                ? await BindingTokens.RedeemAsync(tenant, text, t).ConfigureAwait(false) is { } grant ? (grant.Subscriptions, grant.Caller) : ([], caller)
                : ([text], caller);
            var bindable = new List<string>();
            foreach (var id in ids)
            {
                if (Registry.Find(tenant, id) is not { Definition.Channel: Model.ChannelKind.WebSocket })
                {
                    return [];
                }
                var read = await (api ?? _api)(new FhirRequest("GET", "Subscription/" + id) { Tenant = tenant, Caller = rights }, t).ConfigureAwait(false);
                if (!read.IsSuccess)
                {
                    return [];
                }
                bindable.Add(id);
            }
            return bindable;
        }, ct);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (RightsMonitor is not null)
        {
            await RightsMonitor.DisposeAsync().ConfigureAwait(false);
        }
        await Delivery.DisposeAsync().ConfigureAwait(false);
        Lifecycle.Dispose();
        Metrics.Dispose();
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}
