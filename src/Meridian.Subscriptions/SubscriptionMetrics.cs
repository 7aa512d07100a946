using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions;

/// <summary>
/// Meter <c>Meridian.Subscriptions</c> (exported at <c>/metrics</c> with every "Meridian.*" meter):
/// commit-to-delivery latency, deliveries, retries, dead letters, matches, and observable gauges
/// for each endpoint's breaker state and each subscription's queue depth. One instance per
/// delivery service (it owns its meter, so tests running several never mix their numbers).
/// </summary>
public sealed class SubscriptionMetrics : IDisposable
{
    public const string MeterName = "Meridian.Subscriptions";

    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _deliveries;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _matched;
    private readonly Counter<long> _dropped;
    private long _droppedTotal;
    private readonly ConcurrentDictionary<string, Func<int>> _breakers = new(StringComparer.Ordinal);
    private ImmutableArray<(string Tenant, string SubscriptionId, long Count)> _depth = [];

    public SubscriptionMetrics()
    {
        _latency = _meter.CreateHistogram<double>("meridian.subscriptions.delivery.latency", unit: "ms", description: "Time from the commit of a change to the delivery of its notification");
        _deliveries = _meter.CreateCounter<long>("meridian.subscriptions.deliveries", description: "Notifications delivered");
        _retries = _meter.CreateCounter<long>("meridian.subscriptions.retries", description: "Failed delivery attempts that will be retried");
        _deadLetters = _meter.CreateCounter<long>("meridian.subscriptions.dead_letters", description: "Notifications dead-lettered after their retry budget");
        _matched = _meter.CreateCounter<long>("meridian.subscriptions.matched", description: "Notifications queued (change matched a subscription)");
        _dropped = _meter.CreateCounter<long>("meridian.subscriptions.dropped", description: "Changes knowingly not notified: reason access (the creator may no longer read them), rejected (criteria no longer accepted), purged (the resource was purged before it was matched)");
        _meter.CreateObservableGauge("meridian.subscriptions.breaker.state", ObserveBreakers, description: "Circuit breaker per endpoint: 0 closed, 1 half-open, 2 open, 3 isolated");
        _meter.CreateObservableGauge("meridian.subscriptions.queue.depth", ObserveDepth, description: "Pending notifications per subscription");
    }

    public void Matched(SubscriptionDefinition subscription) => _matched.Add(1, new KeyValuePair<string, object?>("channel", Channel(subscription)));

    public void Dropped(string reason, long count)
    {
        _dropped.Add(count, new KeyValuePair<string, object?>("reason", reason));
        Interlocked.Add(ref _droppedTotal, count);
    }

    /// <summary>Every drop so far (all reasons), for tests and diagnostics.</summary>
    public long DroppedTotal => Interlocked.Read(ref _droppedTotal);

    public void Delivered(SubscriptionDefinition subscription, double latencyMs)
    {
        var channel = new KeyValuePair<string, object?>("channel", Channel(subscription));
        _deliveries.Add(1, channel);
        _latency.Record(latencyMs, channel);
    }

    public void Retried(SubscriptionDefinition subscription) => _retries.Add(1, new KeyValuePair<string, object?>("channel", Channel(subscription)));

    public void DeadLettered(SubscriptionDefinition subscription, int count) => _deadLetters.Add(count, new KeyValuePair<string, object?>("channel", Channel(subscription)));

    public void TrackBreaker(string endpoint, Func<int> state) => _breakers.TryAdd(endpoint, state);

    public void SetDepth(ImmutableArray<(string Tenant, string SubscriptionId, long Count)> depth) => _depth = depth;

    private IEnumerable<Measurement<int>> ObserveBreakers() =>
        _breakers.Select(b => new Measurement<int>(b.Value(), new KeyValuePair<string, object?>("endpoint", b.Key)));

    private IEnumerable<Measurement<long>> ObserveDepth() =>
        _depth.Select(d => new Measurement<long>(d.Count, new KeyValuePair<string, object?>("tenant", d.Tenant), new KeyValuePair<string, object?>("subscription", d.SubscriptionId)));

    private static string Channel(SubscriptionDefinition s) => s.Channel == ChannelKind.WebSocket ? "websocket" : "rest-hook";

    public void Dispose() => _meter.Dispose();
}
