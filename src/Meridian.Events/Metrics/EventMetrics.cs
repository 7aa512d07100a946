using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Meridian.Events.Metrics;

/// <summary>
/// The backbone's instruments on meter <see cref="MeterName"/>. Counters are recorded where
/// things happen; gauges (lag, queue depth, lease) are observed from the state the dispatcher
/// and the consumer wrappers keep here. Lag is measured against the newest change this node
/// has seen (the dispatcher reads every commit; other nodes probe the feed).
/// </summary>
public sealed class EventMetrics : IDisposable
{
    public const string MeterName = "Meridian.Events";

    private readonly Meter _meter;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, ConsumerState> _consumers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PartitionState> _partitions = new(StringComparer.Ordinal);
    private long _head;

    /// <param name="meterFactory">The host's factory (the meter is then scoped to it, so two
    /// servers in one process never mix their figures); null makes a free-standing meter.</param>
    public EventMetrics(IMeterFactory? meterFactory = null, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _meter = meterFactory?.Create(new MeterOptions(MeterName)) ?? new Meter(MeterName);
        Dispatched = _meter.CreateCounter<long>("meridian.events.dispatched", "{event}", "events published to the transport by this node's dispatcher");
        DispatchFailures = _meter.CreateCounter<long>("meridian.events.dispatch.failures", "{batch}", "batches the transport refused or the feed could not be read (retried)");
        Handled = _meter.CreateCounter<long>("meridian.events.consumer.handled", "{event}", "events a consumer finished");
        Failures = _meter.CreateCounter<long>("meridian.events.consumer.failures", "{batch}", "batches a consumer threw on");
        Retries = _meter.CreateCounter<long>("meridian.events.consumer.retries", "{batch}", "batches offered again after a failure");
        Delay = _meter.CreateHistogram("meridian.events.consumer.delay", "s", "time from commit to a consumer finishing the event",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });
        _meter.CreateObservableGauge("meridian.events.feed.head", () => Volatile.Read(ref _head), "{sequence}", "newest change-feed sequence this node has seen");
        _meter.CreateObservableGauge("meridian.events.lease.held", ObserveLeases, "{lease}", "1 while this node holds the partition's dispatch lease");
        _meter.CreateObservableGauge("meridian.events.dispatch.position", ObservePublished, "{sequence}", "last sequence published to the transport");
        _meter.CreateObservableGauge("meridian.events.consumer.position", () => ObserveConsumers(c => c.Position), "{sequence}", "a consumer's durable position");
        _meter.CreateObservableGauge("meridian.events.consumer.lag", () => ObserveConsumers(c => Math.Max(0, Head - c.Position)), "{event}",
            "changes committed but not yet finished by the consumer (sequence distance to the head)");
        _meter.CreateObservableGauge("meridian.events.consumer.queue_depth", () => ObserveConsumers(c => Math.Max(0, Published - c.Position)), "{event}",
            "changes published to the transport but not yet finished by the consumer");
        _meter.CreateObservableGauge("meridian.events.consumer.lag_seconds", ObserveLagSeconds, "s",
            "age of the oldest change offered to the consumer and not finished (0 when caught up)");
    }

    internal Counter<long> Dispatched { get; }

    internal Counter<long> DispatchFailures { get; }

    internal Counter<long> Handled { get; }

    internal Counter<long> Failures { get; }

    internal Counter<long> Retries { get; }

    internal Histogram<double> Delay { get; }

    internal TimeProvider Clock => _clock;

    /// <summary>Newest sequence this node has seen in the feed.</summary>
    public long Head => Volatile.Read(ref _head);

    /// <summary>Newest sequence known to be published (by this node, or read from the dispatcher's position).</summary>
    public long Published => _partitions.IsEmpty ? Head : _partitions.Values.Max(p => Volatile.Read(ref p.Published));

    /// <summary>The consumer's durable position as this node last saw it (0 when unknown).</summary>
    public long PositionOf(string consumer) => _consumers.TryGetValue(consumer, out var c) ? Volatile.Read(ref c.Position) : 0;

    internal void ObserveHead(long sequence) => InterlockedMax(ref _head, sequence);

    internal void ObservePublished(string partition, long sequence)
    {
        InterlockedMax(ref Partition(partition).Published, sequence);
        ObserveHead(sequence);
    }

    internal void LeaseHeld(string partition, bool held) => Volatile.Write(ref Partition(partition).Held, held ? 1 : 0);

    internal ConsumerState Consumer(string name) => _consumers.GetOrAdd(name, _ => new ConsumerState());

    public void Dispose() => _meter.Dispose();

    private PartitionState Partition(string name) => _partitions.GetOrAdd(name, _ => new PartitionState());

    private IEnumerable<Measurement<int>> ObserveLeases() =>
        _partitions.Select(p => new Measurement<int>(Volatile.Read(ref p.Value.Held), new KeyValuePair<string, object?>("partition", p.Key)));

    private IEnumerable<Measurement<long>> ObservePublished() =>
        _partitions.Select(p => new Measurement<long>(Volatile.Read(ref p.Value.Published), new KeyValuePair<string, object?>("partition", p.Key)));

    private IEnumerable<Measurement<long>> ObserveConsumers(Func<ConsumerState, long> value) =>
        _consumers.Select(c => new Measurement<long>(value(c.Value), new KeyValuePair<string, object?>("consumer", c.Key)));

    private IEnumerable<Measurement<double>> ObserveLagSeconds()
    {
        var now = _clock.GetUtcNow().UtcTicks;
        foreach (var (name, state) in _consumers)
        {
            var since = Volatile.Read(ref state.PendingSinceTicks);
            var seconds = since == 0 || Volatile.Read(ref state.Position) >= Head ? 0 : Math.Max(0, TimeSpan.FromTicks(now - since).TotalSeconds);
            yield return new Measurement<double>(seconds, new KeyValuePair<string, object?>("consumer", name));
        }
    }

    internal static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }

    internal sealed class ConsumerState
    {
        public long Position;
        public long PendingSinceTicks;
        public long FailedThrough;
    }

    private sealed class PartitionState
    {
        public long Published;
        public int Held;
    }
}
