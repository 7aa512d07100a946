using System.Diagnostics.Metrics;
using Meridian.Events.Tests.Support;
using Meridian.Server.Metrics;

namespace Meridian.Events.Tests;

/// <summary>The exporter behind /metrics, on meters of a test-scoped factory.</summary>
public sealed class PrometheusTextTests : IDisposable
{
    private readonly TestMeterFactory _factory = new();
    private readonly PrometheusCollector _collector;

    public PrometheusTextTests() => _collector = new PrometheusCollector(_factory);

    public void Dispose()
    {
        _collector.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public void Counters_gauges_and_histograms_come_out_typed_with_escaped_labels()
    {
        var meter = _factory.Create(new MeterOptions("Meridian.Test"));
        var counter = meter.CreateCounter<long>("meridian.test.sent", "{message}", "messages \\ sent\nfor real");
        counter.Add(2, new KeyValuePair<string, object?>("endpoint", "a\"b\\c\nd"));
        counter.Add(3, new KeyValuePair<string, object?>("endpoint", "a\"b\\c\nd"));
        counter.Add(1, new KeyValuePair<string, object?>("endpoint", "other"));
        var level = 7;
        meter.CreateObservableGauge("meridian.test.level", () => level, "{item}", "level");
        var histogram = meter.CreateHistogram("meridian.test.latency", "s", "latency",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        histogram.Record(0.05);
        histogram.Record(0.5);
        histogram.Record(5);
        var upDown = meter.CreateUpDownCounter<int>("meridian.test.open");
        upDown.Add(3);
        upDown.Add(-1);

        var text = _collector.Scrape();
        var (samples, types) = PrometheusParser.Parse(text);

        Assert.Equal("counter", types["meridian_test_sent_total"]);
        Assert.Equal("gauge", types["meridian_test_level"]);
        Assert.Equal("histogram", types["meridian_test_latency_seconds"]);
        Assert.Equal("gauge", types["meridian_test_open"]);
        Assert.Contains("# HELP meridian_test_sent_total messages \\\\ sent\\nfor real\n", text);
        Assert.Contains("meridian_test_sent_total{endpoint=\"a\\\"b\\\\c\\nd\"} 5\n", text);
        Assert.Equal(5, PrometheusParser.Value(samples, "meridian_test_sent_total", ("endpoint", "a\"b\\c\nd")));
        Assert.Equal(1, PrometheusParser.Value(samples, "meridian_test_sent_total", ("endpoint", "other")));
        Assert.Equal(7, PrometheusParser.Value(samples, "meridian_test_level"));
        Assert.Equal(2, PrometheusParser.Value(samples, "meridian_test_open"));
        Assert.Equal(1, PrometheusParser.Value(samples, "meridian_test_latency_seconds_bucket", ("le", "0.1")));
        Assert.Equal(2, PrometheusParser.Value(samples, "meridian_test_latency_seconds_bucket", ("le", "1")));
        Assert.Equal(3, PrometheusParser.Value(samples, "meridian_test_latency_seconds_bucket", ("le", "+Inf")));
        Assert.Equal(3, PrometheusParser.Value(samples, "meridian_test_latency_seconds_count"));
        Assert.Equal(5.55, PrometheusParser.Value(samples, "meridian_test_latency_seconds_sum")!.Value, 6);

        level = 9; // observable instruments are read at every scrape
        Assert.Equal(9, PrometheusParser.Value(PrometheusParser.Parse(_collector.Scrape()).Samples, "meridian_test_level"));
    }

    [Fact]
    public void Only_meridian_meters_of_this_server_are_exported()
    {
        var other = new TestMeterFactory();
        using var foreign = new PrometheusCollector(other);
        _factory.Create(new MeterOptions("Meridian.Mine")).CreateCounter<int>("meridian.mine.count").Add(1);
        other.Create(new MeterOptions("Meridian.Theirs")).CreateCounter<int>("meridian.theirs.count").Add(1);
        _factory.Create(new MeterOptions("System.Something")).CreateCounter<int>("system.count").Add(1);

        var text = _collector.Scrape();
        Assert.Contains("meridian_mine_count_total 1\n", text);
        Assert.DoesNotContain("theirs", text);
        Assert.DoesNotContain("system_count", text);
        Assert.Contains("meridian_theirs_count_total 1\n", foreign.Scrape());
        other.Dispose();
    }

    [Theory]
    [InlineData("meridian.events.consumer.lag", "{event}", false, "meridian_events_consumer_lag")]
    [InlineData("meridian.events.consumer.lag_seconds", "s", false, "meridian_events_consumer_lag_seconds")]
    [InlineData("meridian.subscriptions.delivery.latency", "ms", false, "meridian_subscriptions_delivery_latency_milliseconds")]
    [InlineData("meridian.events.dispatched", "{event}", true, "meridian_events_dispatched_total")]
    [InlineData("9-lives/x", null, true, "_9_lives_x_total")]
    public void Instrument_names_map_to_prometheus_names(string instrument, string? unit, bool counter, string expected) =>
        Assert.Equal(expected, PrometheusText.MetricName(instrument, unit, counter));

    [Fact]
    public void Special_values_are_spelled_as_prometheus_wants() =>
        Assert.Equal(["+Inf", "-Inf", "NaN", "0.25", "1E+21"], new[] { double.PositiveInfinity, double.NegativeInfinity, double.NaN, 0.25, 1e21 }.Select(PrometheusText.FormatValue));
}
