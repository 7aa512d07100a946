using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Meridian.Api.Tests.Support;
using Meridian.Identity.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Api.Tests.Limits;

/// <summary>
/// An unauthenticated flood (bad tokens, no token, token-endpoint guesses) from one address is
/// cut off by the per-address bucket (Limits:Anonymous) with 429 + Retry-After and an
/// OperationOutcome, while a client holding a valid token from the same address is still
/// served. Authentication ON, real HTTP on 127.0.0.1, both stores (a refusal that is admitted
/// is audited, so the store is involved).
/// </summary>
public abstract class AbuseFloodTests(TestStore store)
{
    private const int Burst = 20;

    [Fact]
    public async Task An_unauthenticated_flood_gets_429_while_an_authenticated_client_is_served()
    {
        await using var server = await ConfiguredServer.StartAsync(store, new Dictionary<string, string?>
        {
            ["Meridian:Limits:Anonymous:TokenLimit"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Meridian:Limits:Anonymous:TokensPerPeriod"] = "1",
            ["Meridian:Limits:Anonymous:ReplenishmentPeriod"] = "10m", // no refill during the test
        });
        var secret = await ClientAdmin.AddAsync(server.App.Services.GetRequiredService<IdentityStore>(), "default",
            new NewClient { ClientId = "abuse-reader", Scopes = ["system/*.rs"], Roles = ["integration"] }, TimeProvider.System, CancellationToken.None);
        Assert.True(secret.IsSuccess, secret.Error?.ToString());
        var token = await TokenAsync(server, "abuse-reader", secret.Value); // spends one anonymous token

        // The flood: four kinds of unauthenticated request, 30 of each, concurrently.
        var flood = await Task.WhenAll(Enumerable.Range(0, 120).Select(async i =>
        {
            using var request = (i % 4) switch
            {
                0 => Get(server.Root + "/fhir/Patient", "Bearer not.a.token"),
                1 => Get(server.Root + "/fhir/Patient", null),
                2 => TokenRequest(server, "abuse-reader", "wrong-secret-" + i),
                _ => Get(server.Root + "/auth/authorize?response_type=code&client_id=x", null),
            };
            using var reply = await server.Http.SendAsync(request);
            return (Status: (int)reply.StatusCode, RetryAfter: reply.Headers.RetryAfter?.Delta, Body: await reply.Content.ReadAsStringAsync());
        }));

        var admitted = flood.Count(r => r.Status != 429);
        Assert.True(admitted <= Burst - 1, $"{admitted} unauthenticated requests were admitted beyond a burst of {Burst}");
        var throttled = flood.Where(r => r.Status == 429).ToList();
        Assert.True(throttled.Count >= 120 - Burst, string.Join(", ", flood.Select(r => r.Status)));
        Assert.All(throttled, r =>
        {
            Assert.True(r.RetryAfter >= TimeSpan.FromSeconds(1), "Retry-After missing");
            var outcome = JsonNode.Parse(r.Body)!;
            Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
            Assert.Equal("throttled", outcome["issue"]![0]!["code"]!.GetValue<string>());
        });

        // Still cut off afterwards, on every unauthenticated path...
        using (var again = await server.Http.SendAsync(Get(server.Root + "/fhir/Patient", "Bearer forged")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        }
        // ...while the client with a valid token, from the same address, is served.
        for (var i = 0; i < 5; i++)
        {
            using var served = await server.Http.SendAsync(Get(server.Root + "/fhir/Patient?_count=1", "Bearer " + token));
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }
    }

    [Fact]
    public async Task Refusals_by_the_limits_are_counted_on_metrics()
    {
        await using var server = await ConfiguredServer.StartAsync(store, new Dictionary<string, string?>
        {
            ["Meridian:Limits:Anonymous:TokenLimit"] = "5",
            ["Meridian:Limits:Anonymous:TokensPerPeriod"] = "1",
            ["Meridian:Limits:Anonymous:ReplenishmentPeriod"] = "10m",
        });
        var secret = await ClientAdmin.AddAsync(server.App.Services.GetRequiredService<IdentityStore>(), "default",
            new NewClient { ClientId = "limits-monitor", Scopes = ["system/*.rs"], Roles = ["monitoring"] }, TimeProvider.System, CancellationToken.None);
        var monitor = await TokenAsync(server, "limits-monitor", secret.Value);
        for (var i = 0; i < 12; i++)
        {
            using var flooded = await server.Http.SendAsync(Get(server.Root + "/fhir/Patient", null));
        }
        using var metrics = await server.Http.SendAsync(Get(server.Root + "/metrics", "Bearer " + monitor));
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.True(metrics.StatusCode == HttpStatusCode.OK, text);
        var line = text.Split('\n').Single(l => l.StartsWith("meridian_limits_refused_total{", StringComparison.Ordinal) && l.Contains("reason=\"anonymous\"", StringComparison.Ordinal));
        Assert.Equal(8, long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture)); // 5 - 1 admitted of 12
    }

    private static HttpRequestMessage Get(string url, string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return request;
    }

    private static HttpRequestMessage TokenRequest(ConfiguredServer server, string clientId, string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, server.Root + "/auth/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "system/*.rs" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(clientId + ":" + secret)));
        return request;
    }

    private static async Task<string> TokenAsync(ConfiguredServer server, string clientId, string secret)
    {
        using var request = TokenRequest(server, clientId, secret);
        using var reply = await server.Http.SendAsync(request);
        var text = await reply.Content.ReadAsStringAsync();
        Assert.True(reply.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["access_token"]!.GetValue<string>();
    }
}

public sealed class SqliteAbuseFloodTests() : AbuseFloodTests(TestStore.Sqlite);

public sealed class PostgresAbuseFloodTests() : AbuseFloodTests(TestStore.Postgres);
