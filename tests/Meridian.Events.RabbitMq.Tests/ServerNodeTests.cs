using System.Net;
using System.Text;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meridian.Events.RabbitMq.Tests;

/// <summary>
/// `meridian serve` with <c>Meridian:Events:Transport = rabbitmq</c>: two server nodes over
/// HTTP on 127.0.0.1, one PostgreSQL database and the real broker; each write reaches the
/// consumer once, in commit order, whichever node took it; /metrics shows the transport.
/// </summary>
public sealed class ServerNodeTests : IAsyncLifetime
{
    private readonly PostgresTestServerStore _store = TestServerStore.Postgres();
    private readonly TestBroker _broker = TestBroker.FromEnvironment();
    private readonly HandledLog _log = new();
    private readonly List<WebApplication> _nodes = [];
    private readonly List<string> _roots = [];
    private HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(1) };

    public async Task InitializeAsync()
    {
        // Registered so that the test topology is deleted at the end.
        _ = _broker.Options("probe");
        foreach (var node in new[] { "A", "B" })
        {
            var settings = await _store.SettingsAsync();
            settings["Meridian:Port"] = "0";
            settings["Meridian:InsecureDev"] = "true";
            settings["Meridian:Events:PollInterval"] = "50ms";
            settings["Meridian:Events:Transport"] = "rabbitmq";
            settings["Meridian:Events:RabbitMq:Uri"] = _broker.Uri.ToString();
            settings["Meridian:Events:RabbitMq:Exchange"] = _broker.Exchange;
            settings["Meridian:Events:RabbitMq:QueuePrefix"] = _broker.QueuePrefix;
            var consumer = new RecordingConsumer("probe", _log, node);
            var app = await MeridianServer.BuildAsync([], settings, services => services.AddSingleton<IEventConsumer>(consumer));
            await app.StartAsync();
            _nodes.Add(app);
            _roots.Add(MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
        }
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        foreach (var app in _nodes)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        await _broker.DisposeAsync();
        await _store.DisposeAsync();
    }

    [Fact]
    public async Task Two_nodes_on_one_database_and_broker_deliver_each_write_once_in_order()
    {
        var traceIds = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
            traceIds.Add(traceId);
            using var request = new HttpRequestMessage(HttpMethod.Post, _roots[i % 2] + "/fhir/Patient")
            {
                Content = new StringContent($$"""{"resourceType":"Patient","name":[{"family":"Node{{i}}"}]}""", Encoding.UTF8, "application/fhir+json"),
            };
            request.Headers.Add("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            using var response = await Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        bool AllArrived() => _log.Entries().Count(e => e.Event.Type == "Patient") >= 20;
        Assert.True(await TestBroker.WaitUntilAsync(AllArrived, TimeSpan.FromMinutes(3)), $"handled {_log.Entries().Count}");

        var sequences = _log.Sequences();
        // Once each (no failure happened, so no redelivery either) and in commit order.
        Assert.Equal(sequences.Distinct(), sequences);
        Assert.Equal(sequences.Order(), sequences);
        var patients = _log.Entries().Where(e => e.Event.Type == "Patient").Select(e => e.Event).ToList();
        Assert.Equal(20, patients.Count);
        // Trace ids travelled through the broker; commit order here is request order.
        Assert.Equal(traceIds, patients.Select(e => e.TraceId));

        var metrics = "";
        foreach (var root in _roots) metrics += await Http.GetStringAsync(root + "/metrics");
        Assert.Contains("meridian_events_rabbitmq_confirmed", metrics, StringComparison.Ordinal);
        Assert.Contains("meridian_events_rabbitmq_connected 1", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "Events:RabbitMq:Uri is required")]
    [InlineData("http://127.0.0.1:5672/", "must be an absolute amqp://")]
    public async Task Rabbitmq_without_a_broker_uri_stops_the_start(string? uri, string message)
    {
        await using var store = TestServerStore.Sqlite("meridian-rabbit-bad-");
        var settings = await store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:Events:Transport"] = "rabbitmq";
        settings["Meridian:Events:RabbitMq:Uri"] = uri;
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => MeridianServer.BuildAsync([], settings));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
