using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meridian.Api;
using Meridian.Server;
using Meridian.Storage;
using Meridian.Storage.Records;
using Meridian.Subscriptions.Operations;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// Backport IG <c>$get-ws-binding-token</c>: over real HTTP the server issues a short-lived token
/// for one or more websocket subscriptions, and the real websocket endpoint binds them all on
/// <c>bind-with-id: {token}</c>, then pings per event. Module-level: the token is bound to the
/// caller's rights (no token for a caller who may not read the Subscription) and expires.
/// </summary>
public abstract class WebSocketBindingTokenTests(Func<TestServerStore> newStore, bool postgres) : IAsyncLifetime
{
    private readonly TestServerStore _store = newStore();
    private HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(1) };
    private WebApplication? _app;
    private string _root = "";

    public async Task InitializeAsync()
    {
        var settings = await _store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:InsecureDev"] = "true";
        settings["Meridian:Events:PollInterval"] = "50ms";
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
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, _root + path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/fhir+json");
        using var response = await Http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.Clone());
    }

    private async Task<string> ActiveSubscriptionAsync(string json)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "/fhir/Subscription", json);
        Assert.Equal(HttpStatusCode.Created, status);
        var id = body.GetProperty("id").GetString()!;
        await SubscriptionFixture.EventuallyAsync(async () => (await SendAsync(HttpMethod.Get, "/fhir/Subscription/" + id)).Body.GetProperty("status").GetString() == "active", "active");
        return id;
    }

    private static IEnumerable<string> Values(JsonElement parameters, string name) =>
        parameters.GetProperty("parameter").EnumerateArray().Where(p => p.GetProperty("name").GetString() == name)
            .Select(p => p.EnumerateObject().First(o => o.Name.StartsWith("value", StringComparison.Ordinal)).Value.GetString()!);

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[8192];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await socket.ReceiveAsync(buffer, cts.Token);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    [Fact]
    public async Task A_token_for_two_subscriptions_binds_both_over_the_real_websocket()
    {
        var a = await ActiveSubscriptionAsync(Resources.WebSocketSubscription("Patient?family=TokA"));
        var b = await ActiveSubscriptionAsync(Resources.WebSocketSubscription("Patient?family=TokB"));
        await using var receiver = await Receiver.StartAsync();
        var hook = await ActiveSubscriptionAsync(Resources.R4Subscription("Patient?", receiver.Url("h")));

        var (status, issued) = await SendAsync(HttpMethod.Post, $"/fhir/Subscription/$get-ws-binding-token?id={a}&id={b}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Parameters", issued.GetProperty("resourceType").GetString());
        var token = Values(issued, "token").Single();
        Assert.StartsWith(WebSocketBindingTokens.Prefix, token, StringComparison.Ordinal);
        Assert.Equal([a, b], Values(issued, "subscription"));
        var expiration = DateTimeOffset.Parse(Values(issued, "expiration").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expiration, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(6));
        var url = Values(issued, "websocket-url").Single();
        Assert.Equal(_root.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws/subscriptions", url);

        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri(url), CancellationToken.None);
        await SendAsync(client, "bind-with-id: " + WebSocketBindingTokens.Prefix + "not-issued");
        Assert.Equal("error " + WebSocketBindingTokens.Prefix + "not-issued", await ReceiveAsync(client));
        await SendAsync(client, "bind-with-id: " + token);
        Assert.Equal("bound " + a, await ReceiveAsync(client));
        Assert.Equal("bound " + b, await ReceiveAsync(client));
        await SendAsync(HttpMethod.Post, "/fhir/Patient", Resources.Patient("TokB"));
        Assert.Equal("ping " + b, await ReceiveAsync(client));
        await SendAsync(HttpMethod.Post, "/fhir/Patient", Resources.Patient("TokA"));
        Assert.Equal("ping " + a, await ReceiveAsync(client));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        // Instance level (GET) grants that one subscription; a rest-hook one gets none; no id at the type level is refused.
        var (instanceStatus, instance) = await SendAsync(HttpMethod.Get, $"/fhir/Subscription/{a}/$get-ws-binding-token");
        Assert.Equal(HttpStatusCode.OK, instanceStatus);
        Assert.Equal([a], Values(instance, "subscription"));
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, $"/fhir/Subscription/{hook}/$get-ws-binding-token")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, "/fhir/Subscription/$get-ws-binding-token")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, "/fhir/Subscription/$get-ws-binding-token?id=missing")).Status);
    }

    [Fact]
    public async Task A_token_carries_the_callers_rights_and_expires()
    {
        await using var f = await SubscriptionFixture.CreateAsync(postgres);
        var sub = await f.CreateAsync(Resources.WebSocketSubscription("Patient?"));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");

        var outsider = new Caller { ClientId = "no-subscriptions", Scopes = ["user/Observation.rs"] };
        var denied = await f.SendAsync("GET", $"Subscription/{sub}/$get-ws-binding-token", caller: outsider);
        Assert.False(denied.IsSuccess);

        var reader = new Caller { ClientId = "reader", Scopes = ["user/Subscription.rs", "user/Patient.rs"] };
        var clock = new PinnedClock(DateTimeOffset.UtcNow);
        var tokens = new WebSocketBindingTokens(f.Store.Find<ISystemRecordStore>()!, f.Module.Registry, clock, TimeSpan.FromMinutes(2));
        var issued = await tokens.IssueAsync(new FhirRequest("POST", $"Subscription/{sub}/$get-ws-binding-token") { Caller = reader }, sub,
            f.Api.HandleAsync, CancellationToken.None);
        Assert.True(issued.IsSuccess, Encoding.UTF8.GetString(issued.Body.Span));
        using var doc = JsonDocument.Parse(issued.Body);
        var token = Values(doc.RootElement, "token").Single();

        var grant = await tokens.RedeemAsync(FhirApi.DefaultTenant, token, CancellationToken.None);
        Assert.NotNull(grant);
        Assert.Equal([sub], grant.Subscriptions);
        Assert.Equal("reader", grant.Caller.ClientId);
        Assert.Equal([.. reader.Scopes], [.. grant.Caller.Scopes]);
        Assert.Null(await tokens.RedeemAsync("other-tenant", token, CancellationToken.None));
        clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Null(await tokens.RedeemAsync(FhirApi.DefaultTenant, token, CancellationToken.None));
    }
}

public sealed class SqliteWebSocketBindingTokenTests() : WebSocketBindingTokenTests(() => TestServerStore.Sqlite("subs-wsbt-"), postgres: false);

[Collection("postgres")]
public sealed class PostgresWebSocketBindingTokenTests() : WebSocketBindingTokenTests(TestServerStore.Postgres, postgres: true);
