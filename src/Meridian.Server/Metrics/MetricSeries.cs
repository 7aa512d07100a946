using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Meridian.Server.Metrics;

/// <summary>How an instrument is exposed in Prometheus terms.</summary>
internal enum MetricKind { Counter, Gauge, Histogram }

/// <summary>
/// Everything recorded for one instrument: a series per distinct tag set. Counters add up,
/// gauges keep the last value (observable instruments are re-observed at every scrape, so
/// their series are cleared first and a tag set that disappears disappears from the output),
/// histograms count into fixed buckets.
/// </summary>
internal sealed class MetricFamily(Instrument instrument, MetricKind kind, double[] bounds)
{
    private readonly ConcurrentDictionary<string, MetricSeries> _series = new(StringComparer.Ordinal);

    public Instrument Instrument { get; } = instrument;

    public MetricKind Kind { get; } = kind;

    public double[] Bounds { get; } = bounds;

    /// <summary>Measurements replace the value (observable instruments and gauges) instead of adding to it.</summary>
    public bool Replaces { get; } = instrument.IsObservable || (kind == MetricKind.Gauge && !IsUpDownCounter(instrument));

    public IEnumerable<MetricSeries> Series => _series.Values.OrderBy(s => s.Key, StringComparer.Ordinal);

    public void Clear() => _series.Clear();

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        var key = string.Join('\u0001', labels.Select(l => l.Key + "\u0002" + l.Value));
        var series = _series.GetOrAdd(key, k => new MetricSeries(k, labels, Bounds.Length));
        series.Record(value, this);
    }

    private static KeyValuePair<string, string>[] Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new KeyValuePair<string, string>[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            var value = tags[i].Value switch
            {
                null => "",
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                var o => o.ToString() ?? "",
            };
            labels[i] = new(tags[i].Key, value);
        }
        Array.Sort(labels, (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return labels;
    }

    private static bool IsUpDownCounter(Instrument instrument) =>
        instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(UpDownCounter<>);
}

/// <summary>One tag set of one instrument.</summary>
internal sealed class MetricSeries(string key, KeyValuePair<string, string>[] labels, int buckets)
{
    private readonly Lock _gate = new();
    private readonly long[] _buckets = new long[buckets];
    private double _value;
    private double _sum;
    private long _count;

    public string Key { get; } = key;

    public KeyValuePair<string, string>[] Labels { get; } = labels;

    public void Record(double value, MetricFamily family)
    {
        lock (_gate)
        {
            switch (family.Kind)
            {
                case MetricKind.Histogram:
                    var i = Array.FindIndex(family.Bounds, b => value <= b);
                    if (i >= 0)
                    {
                        _buckets[i]++;
                    }
                    _sum += value;
                    _count++;
                    break;
                default:
                    _value = family.Replaces ? value : _value + value;
                    break;
            }
        }
    }

    public double Value
    {
        get
        {
            lock (_gate)
            {
                return _value;
            }
        }
    }

    /// <summary>Cumulative bucket counts (one per bound), then sum and count, read together.</summary>
    public (long[] Cumulative, double Sum, long Count) Histogram()
    {
        lock (_gate)
        {
            var cumulative = new long[_buckets.Length];
            long running = 0;
            for (var i = 0; i < _buckets.Length; i++)
            {
                running += _buckets[i];
                cumulative[i] = running;
            }
            return (cumulative, _sum, _count);
        }
    }
}
