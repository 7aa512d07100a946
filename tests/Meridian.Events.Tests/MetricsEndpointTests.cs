using System.Net;
using System.Text;
using Meridian.Events.Tests.Support;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Events.Tests;

/// <summary>
/// The real server over HTTP on 127.0.0.1 with a consumer registered in its container: writes
/// reach the consumer with the request's trace id, and <c>/metrics</c> shows the consumer's lag,
/// in Prometheus text, going back to 0 once it caught up.
/// </summary>
public abstract class MetricsEndpointTests(Func<TestServerStore> newStore) : IAsyncLifetime
{
    private readonly TestServerStore _store = newStore();
    private readonly RecordingConsumer _consumer = new("metrics-probe", block: true);
    private HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(1) };
    private WebApplication? _app;
    private string _root = "";

    public async Task InitializeAsync()
    {
        var settings = await _store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:InsecureDev"] = "true";
        settings["Meridian:Events:PollInterval"] = "50ms";
        _app = await MeridianServer.BuildAsync([], settings, services => services.AddSingleton<IEventConsumer>(_consumer));
        await _app.StartAsync();
        _root = MeridianServer.Addresses(_app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        _consumer.Release();
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await _store.DisposeAsync();
    }

    private async Task<IReadOnlyList<PromSample>> ScrapeAsync()
    {
        using var response = await Http.GetAsync(_root + "/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return PrometheusParser.Parse(await response.Content.ReadAsStringAsync()).Samples;
    }

    private static double Lag(IReadOnlyList<PromSample> samples, string name = "meridian_events_consumer_lag") =>
        PrometheusParser.Value(samples, name, ("consumer", "metrics-probe")) ?? -1;

    [Fact]
    public async Task Lag_shows_while_the_consumer_is_behind_and_returns_to_zero()
    {
        var traceIds = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
            traceIds.Add(traceId);
            using var request = new HttpRequestMessage(HttpMethod.Post, _root + "/fhir/Patient")
            {
                Content = new StringContent($$"""{"resourceType":"Patient","name":[{"family":"Lag{{i}}"}]}""", Encoding.UTF8, "application/fhir+json"),
            };
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            using var response = await Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        IReadOnlyList<PromSample> samples = [];
        // Lag (feed head − position) shows as soon as the writes commit; the queue depth and the
        // dispatched count follow once the dispatcher has handed the events over, so wait for all
        // three (the consumer is held, so none can drop back meanwhile).
        Assert.True(await Eventually.HoldsAsync(async () =>
        {
            samples = await ScrapeAsync();
            return Lag(samples) >= 5 && Lag(samples, "meridian_events_consumer_queue_depth") >= 5
                && PrometheusParser.Value(samples, "meridian_events_dispatched_total", ("partition", "feed")) >= 5;
        }), $"lag {Lag(samples)}, queue depth {Lag(samples, "meridian_events_consumer_queue_depth")}");
        Assert.Equal(1, PrometheusParser.Value(samples, "meridian_events_lease_held", ("partition", "feed")));

        _consumer.Release();
        Assert.True(await Eventually.HoldsAsync(async () => Lag(samples = await ScrapeAsync()) == 0));
        Assert.Equal(0, Lag(samples, "meridian_events_consumer_lag_seconds"));
        Assert.Equal(0, Lag(samples, "meridian_events_consumer_queue_depth"));
        var handled = PrometheusParser.Value(samples, "meridian_events_consumer_handled_total", ("consumer", "metrics-probe"));
        Assert.True(handled >= 5);
        Assert.Equal(handled, PrometheusParser.Value(samples, "meridian_events_consumer_delay_seconds_count", ("consumer", "metrics-probe")));
        Assert.Equal(handled, PrometheusParser.Value(samples, "meridian_events_consumer_delay_seconds_bucket", ("consumer", "metrics-probe"), ("le", "+Inf")));

        // Every event carries the W3C trace id of the request that caused it.
        var patients = _consumer.Handled.Where(e => e.Type == "Patient").ToList();
        Assert.Equal(5, patients.Count);
        Assert.Equal(traceIds, patients.Select(e => e.TraceId));
    }
}

public sealed class SqliteMetricsEndpointTests() : MetricsEndpointTests(() => TestServerStore.Sqlite("meridian-events-http-"));

public sealed class PostgresMetricsEndpointTests() : MetricsEndpointTests(TestServerStore.Postgres);
