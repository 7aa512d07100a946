using System.Net;
using System.Net.Sockets;
using Meridian.Api.Tests.Support;
using Meridian.Server.Limits;
using Microsoft.AspNetCore.Http;

namespace Meridian.Api.Tests.Limits;

/// <summary>Per-client token buckets over real HTTP: 429 with Retry-After and an
/// OperationOutcome, recovery once tokens return, and separate buckets per client.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private ConfiguredServer? _server;

    public async Task InitializeAsync() =>
        _server = await ConfiguredServer.StartAsync(TestStore.Sqlite, new Dictionary<string, string?>
        {
            ["Meridian:InsecureDev"] = "true",
            ["Meridian:Limits:RateLimit:TokenLimit"] = "5",
            ["Meridian:Limits:RateLimit:TokensPerPeriod"] = "5",
            ["Meridian:Limits:RateLimit:ReplenishmentPeriod"] = "2s",
        });

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_client_over_its_budget_gets_429_with_retry_after_then_recovers_while_others_are_served()
    {
        var api = new FhirClient(_server!.Http, _server.Root + "/fhir");
        Reply? refused = null;
        // The bucket holds 5: within a few more requests one must be refused (the bound allows
        // for tokens that return while the loop runs).
        for (var i = 0; i < 200 && refused is null; i++)
        {
            var reply = await api.GetAsync("metadata");
            if (reply.Code == 429)
            {
                refused = reply;
            }
            else
            {
                Assert.Equal(200, reply.Code);
            }
        }
        Assert.NotNull(refused);
        var retryAfter = Assert.Single(refused.Headers.GetValues("Retry-After"));
        var seconds = int.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1, 2);
        Assert.Equal("OperationOutcome", refused.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal("throttled", refused.Json["issue"]![0]!["code"]!.GetValue<string>());

        // Another client (another loopback address: its own bucket) is served meanwhile.
        using var other = new HttpClient(new SocketsHttpHandler { ConnectCallback = ConnectFrom(IPAddress.Parse("127.0.0.2")) });
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(_server.Root + "/fhir/metadata")).StatusCode);

        // After Retry-After the first client is served again.
        var recovered = false;
        for (var attempt = 0; attempt < 10 && !recovered; attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            recovered = (await api.GetAsync("metadata")).Code == 200;
        }
        Assert.True(recovered);
    }

    [Fact]
    public void Buckets_belong_to_the_verified_client_else_the_remote_address()
    {
        var anonymous = new DefaultHttpContext();
        anonymous.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        Assert.Equal("ip:10.1.2.3", ClientPartition.Of(anonymous));

        var viaItem = new DefaultHttpContext();
        viaItem.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        viaItem.Items[ClientPartition.ClientIdItem] = "ehr-app";
        Assert.Equal("client:ehr-app", ClientPartition.Of(viaItem));

        var signedIn = new DefaultHttpContext
        {
            User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("client_id", "backend")], "Bearer")),
        };
        Assert.Equal("client:backend", ClientPartition.Of(signedIn));

        // An unverified identity (no authentication type) does not choose the bucket.
        var unverified = new DefaultHttpContext
        {
            User = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("client_id", "forged")])),
        };
        unverified.Connection.RemoteIpAddress = IPAddress.Parse("10.9.9.9");
        Assert.Equal("ip:10.9.9.9", ClientPartition.Of(unverified));
    }

    private static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectFrom(IPAddress local) => async (context, ct) =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(local, 0));
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    };
}
