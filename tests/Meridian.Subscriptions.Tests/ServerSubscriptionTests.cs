using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// The real server over HTTP on 127.0.0.1 (insecure-dev) on both stores: a Subscription created
/// over HTTP is activated, changes reach its rest-hook through the event backbone, the
/// operations answer over HTTP, the websocket endpoint binds, and <c>/metrics</c> shows the
/// subscription meters.
/// </summary>
public abstract class ServerSubscriptionTests(Func<TestServerStore> newStore) : IAsyncLifetime
{
    private readonly TestServerStore _store = newStore();
    private HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(1) };
    private WebApplication? _app;
    private string _root = "";
    private readonly string _alerts = Path.Combine(Path.GetTempPath(), "meridian-srv-alerts-" + Guid.NewGuid().ToString("N") + ".log");

    public async Task InitializeAsync()
    {
        var settings = await _store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:InsecureDev"] = "true";
        settings["Meridian:Events:PollInterval"] = "50ms";
        settings["Meridian:Subscriptions:InitialBackoff"] = "50ms";
        settings["Meridian:Subscriptions:MaxBackoff"] = "200ms";
        settings["Meridian:Subscriptions:AlertTestDoubleFile"] = _alerts;
        _app = await MeridianServer.BuildAsync([], settings);
        await _app.StartAsync();
        _root = MeridianServer.Addresses(_app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await _store.DisposeAsync();
        File.Delete(_alerts);
    }

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, string? json = null, HttpStatusCode expect = HttpStatusCode.OK)
    {
        using var request = new HttpRequestMessage(method, _root + path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/fhir+json");
        }
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expect, $"{method} {path}: {(int)response.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Subscriptions_work_end_to_end_over_http()
    {
        await using var receiver = await Receiver.StartAsync();
        var sub = (await SendAsync(HttpMethod.Post, "/fhir/Subscription", Resources.R4Subscription("Observation?code=http://loinc.org|8867-4", receiver.Url("srv")), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await SubscriptionFixture.EventuallyAsync(async () => (await SendAsync(HttpMethod.Get, "/fhir/Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");
        var obs = (await SendAsync(HttpMethod.Post, "/fhir/Observation", Resources.Observation("8867-4"), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await SendAsync(HttpMethod.Post, "/fhir/Observation", Resources.Observation("0000-0"), HttpStatusCode.Created);
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("srv").Count >= 1, "notification through the backbone");
        Assert.Equal("/hook/srv/Observation/" + obs, receiver.Got("srv")[0].Path);

        var status = await SendAsync(HttpMethod.Get, $"/fhir/Subscription/{sub}/$status");
        Assert.Equal("Bundle", status.GetProperty("resourceType").GetString());
        Assert.Equal(0, (await SendAsync(HttpMethod.Get, "/fhir/Subscription/$dead-letters")).TryGetProperty("parameter", out var p) ? p.GetArrayLength() : 0);

        // The websocket endpoint of the same server.
        var ws = (await SendAsync(HttpMethod.Post, "/fhir/Subscription", Resources.WebSocketSubscription("Patient?"), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await SubscriptionFixture.EventuallyAsync(async () => (await SendAsync(HttpMethod.Get, "/fhir/Subscription/" + ws)).GetProperty("status").GetString() == "active", "websocket active");
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri(_root.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws/subscriptions"), CancellationToken.None);
        await client.SendAsync(Encoding.UTF8.GetBytes("bind-with-id: " + ws), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1024];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var got = await client.ReceiveAsync(buffer, cts.Token);
        Assert.Equal("bound " + ws, Encoding.UTF8.GetString(buffer, 0, got.Count));
        await SendAsync(HttpMethod.Post, "/fhir/Patient", Resources.Patient("Ws"), HttpStatusCode.Created);
        got = await client.ReceiveAsync(buffer, cts.Token);
        Assert.Equal("ping " + ws, Encoding.UTF8.GetString(buffer, 0, got.Count));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        // The server's own status write (requested -> active) is audited like any write.
        var audit = await SendAsync(HttpMethod.Get, $"/fhir/AuditEvent?entity=Subscription/{sub}");
        Assert.Contains("meridian-subscriptions", audit.GetRawText(), StringComparison.Ordinal);

        // Clinical alerts are wired: a critical result reaches the (test double) SMS file.
        var patient = (await SendAsync(HttpMethod.Post, "/fhir/Patient", Resources.Patient("Alert"), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var k = (await SendAsync(HttpMethod.Post, "/fhir/Observation",
            "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"Potassium\"},\"interpretation\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation\",\"code\":\"LL\"}]}]}",
            HttpStatusCode.Created)).GetProperty("id").GetString()!;
        await SendAsync(HttpMethod.Post, "/fhir/DiagnosticReport",
            "{\"resourceType\":\"DiagnosticReport\",\"status\":\"final\",\"code\":{\"text\":\"Chem\"},\"subject\":{\"reference\":\"Patient/" + patient + "\"},\"result\":[{\"reference\":\"Observation/" + k + "\"}]}",
            HttpStatusCode.Created);
        await SubscriptionFixture.EventuallyAsync(() => File.Exists(_alerts) && File.ReadAllText(_alerts).Contains("Potassium: LL", StringComparison.Ordinal), "the alert in the test-double file");

        using var metrics = await Http.GetAsync(_root + "/metrics");
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("meridian_subscriptions_deliveries", text, StringComparison.Ordinal);
        Assert.Contains("meridian_subscriptions_delivery_latency", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscriptions_created_by_transaction_and_batch_Bundles_over_http_are_served()
    {
        await using var receiver = await Receiver.StartAsync();
        static string Entry(string method, string url, string resource) =>
            "{\"resource\":" + resource + ",\"request\":{\"method\":\"" + method + "\",\"url\":\"" + url + "\"}}";
        var ids = new List<string>();
        foreach (var (type, name) in new[] { ("transaction", "srv-tx"), ("batch", "srv-batch") })
        {
            var bundle = "{\"resourceType\":\"Bundle\",\"type\":\"" + type + "\",\"entry\":["
                + Entry("POST", "Patient", Resources.Patient("Beside")) + ","
                + Entry("POST", "Subscription", Resources.R4Subscription("Observation?code=http://loinc.org|2345-7", receiver.Url(name))) + "]}";
            var response = await SendAsync(HttpMethod.Post, "/fhir", bundle);
            var location = response.GetProperty("entry")[1].GetProperty("response").GetProperty("location").GetString()!;
            var parts = location.Split('/');
            ids.Add(parts[Array.IndexOf(parts, "Subscription") + 1]);
        }
        foreach (var id in ids)
        {
            await SubscriptionFixture.EventuallyAsync(async () => (await SendAsync(HttpMethod.Get, "/fhir/Subscription/" + id)).GetProperty("status").GetString() == "active", $"Subscription/{id} active");
        }
        var obs = (await SendAsync(HttpMethod.Post, "/fhir/Observation", Resources.Observation("2345-7"), HttpStatusCode.Created)).GetProperty("id").GetString()!;
        foreach (var name in new[] { "srv-tx", "srv-batch" })
        {
            await SubscriptionFixture.EventuallyAsync(() => receiver.Got(name).Count >= 1, name + " notified through the backbone");
            Assert.Equal(["/hook/" + name + "/Observation/" + obs], receiver.Got(name).Select(r => r.Path));
        }
    }
}

public sealed class SqliteServerSubscriptionTests() : ServerSubscriptionTests(() => TestServerStore.Sqlite("subs-srv-"));

[Collection("postgres")]
public sealed class PostgresServerSubscriptionTests() : ServerSubscriptionTests(TestServerStore.Postgres);
