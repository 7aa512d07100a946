using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Meridian.Server.Metrics;

/// <summary>
/// Listens (<see cref="MeterListener"/>) to every instrument of every meter whose name starts
/// with <see cref="Prefix"/> and keeps what they record for <c>/metrics</c>. Meters made by
/// this server's <see cref="IMeterFactory"/> are ours; meters made by another factory (another
/// server in the same process, tests) are not; free-standing meters (static ones) are shared
/// by the process and exported too.
/// </summary>
public sealed class PrometheusCollector : IDisposable
{
    public const string Prefix = "Meridian.";

    // Prometheus' default buckets, for histograms in seconds that give no advice.
    private static readonly double[] s_secondBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // OpenTelemetry's default buckets, for every other unit (milliseconds by convention).
    private static readonly double[] s_defaultBuckets = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, MetricFamily> _families = new();
    private readonly Lock _scrape = new();
    private readonly IMeterFactory? _factory;

    public PrometheusCollector(IMeterFactory? factory = null)
    {
        _factory = factory;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (IsOurs(instrument.Meter))
            {
                var family = _families.GetOrAdd(instrument, i => new MetricFamily(i, KindOf(i), BoundsOf(i)));
                listener.EnableMeasurementEvents(instrument, family);
            }
        };
        _listener.MeasurementsCompleted = (instrument, _) => _families.TryRemove(instrument, out MetricFamily? _);
        _listener.SetMeasurementEventCallback<byte>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<short>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<long>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<float>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, s) => Record(s, v, t));
        _listener.SetMeasurementEventCallback<decimal>((i, v, t, s) => Record(s, (double)v, t));
        _listener.Start();
    }

    /// <summary>Observes the observable instruments and renders everything in the Prometheus
    /// text exposition format 0.0.4.</summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            foreach (var family in _families.Values.Where(f => f.Instrument.IsObservable))
            {
                family.Clear();
            }
            _listener.RecordObservableInstruments();
            return PrometheusText.Write(_families.Values);
        }
    }

    public void Dispose() => _listener.Dispose();

    private bool IsOurs(Meter meter) =>
        meter.Name.StartsWith(Prefix, StringComparison.Ordinal) && (meter.Scope is null || ReferenceEquals(meter.Scope, _factory));

    private static void Record(object? state, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (state is MetricFamily family && !double.IsNaN(value))
        {
            family.Record(value, tags);
        }
    }

    private static MetricKind KindOf(Instrument instrument)
    {
        var type = instrument.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        return definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>) ? MetricKind.Counter
            : definition == typeof(Histogram<>) ? MetricKind.Histogram
            : MetricKind.Gauge; // gauges and up-down counters: values that go both ways
    }

    private static double[] BoundsOf(Instrument instrument)
    {
        if (KindOf(instrument) != MetricKind.Histogram)
        {
            return [];
        }
        IEnumerable<double>? advised = instrument switch
        {
            Instrument<double> d => d.Advice?.HistogramBucketBoundaries,
            Instrument<float> f => f.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            Instrument<long> l => l.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            Instrument<int> n => n.Advice?.HistogramBucketBoundaries?.Select(x => (double)x),
            _ => null,
        };
        var bounds = advised?.ToArray() ?? (instrument.Unit == "s" ? s_secondBuckets : s_defaultBuckets);
        return [.. bounds.Distinct().Order()];
    }
}
