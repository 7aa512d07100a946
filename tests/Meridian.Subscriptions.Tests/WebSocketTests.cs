using System.Net.WebSockets;
using System.Text;
using Meridian.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meridian.Subscriptions.Tests;

/// <summary>The R4 websocket channel: bind-with-id, bound, ping (both stores).</summary>
public abstract class WebSocketTests
{
    protected abstract bool Postgres { get; }

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
    public async Task Bind_with_id_then_a_ping_per_event()
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.UseWebSockets();
        app.Map("/ws", async (HttpContext http) =>
        {
            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            await f.Module.ServeWebSocketAsync(socket, FhirApi.DefaultTenant, Caller.InsecureDev, http.RequestAborted);
        });
        await app.StartAsync();
        var ws = new Uri(app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal) + "/ws");

        var sub = await f.CreateAsync(Resources.WebSocketSubscription("Patient?family=Socket"));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");

        using var client = new ClientWebSocket();
        await client.ConnectAsync(ws, CancellationToken.None);
        await SendAsync(client, "bind-with-id: no-such-subscription");
        Assert.Equal("error no-such-subscription", await ReceiveAsync(client));
        await SendAsync(client, "bind-with-id: " + sub);
        Assert.Equal("bound " + sub, await ReceiveAsync(client));

        await f.CreateAsync(Resources.Patient("Other"));
        await f.CreateAsync(Resources.Patient("Socket"));
        Assert.Equal("ping " + sub, await ReceiveAsync(client));
        await f.CreateAsync(Resources.Patient("Socket"));
        Assert.Equal("ping " + sub, await ReceiveAsync(client));
        var delivered = await f.Module.Queue.EventsAsync(FhirApi.DefaultTenant, sub, null, null, 10, CancellationToken.None);
        Assert.Equal([1L, 2L], delivered.Select(e => e.EventNumber));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }
}

public sealed class SqliteWebSocketTests : WebSocketTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresWebSocketTests : WebSocketTests
{
    protected override bool Postgres => true;
}
