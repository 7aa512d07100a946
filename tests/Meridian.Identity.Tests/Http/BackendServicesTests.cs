using System.Net;
using Meridian.Identity.Accounts;
using Meridian.Identity.Jose;
using Meridian.Identity.Tests.Support;

namespace Meridian.Identity.Tests.Http;

/// <summary>SMART Backend Services: client_credentials with a private_key_jwt assertion (RS384, ES384), and client secrets.</summary>
public abstract class BackendServicesTests(AuthServerFixture fixture)
{
    protected AuthServerFixture Fixture { get; } = fixture;

    private async Task<(JsonWebKey Key, string ClientId)> RegisterAsync(JwsAlgorithm alg, string[]? scopes = null)
    {
        var key = JsonWebKey.Generate(alg);
        var clientId = "backend-" + Guid.NewGuid().ToString("N")[..8];
        await Fixture.AddClientAsync("default", new NewClient
        {
            ClientId = clientId, Jwks = new JsonWebKeySet([key]).ToJson(), Scopes = [.. scopes ?? ["system/*.rs", "system/Observation.cruds"]], Roles = ["integration"],
        });
        return (key, clientId);
    }

    private string TokenUrl => Fixture.Root + "/auth/token";

    [Theory]
    [InlineData("ES384")]
    [InlineData("RS384")]
    public async Task A_backend_client_gets_a_short_lived_token_and_reads_FHIR_with_it(string alg)
    {
        var (key, clientId) = await RegisterAsync(JwsAlgorithm.Find(alg)!);
        var response = await OAuth.PostFormAsync(Fixture.Http, TokenUrl, OAuth.BackendForm(OAuth.Assertion(key, clientId, TokenUrl), "system/*.rs system/Patient.cruds"));
        var body = await OAuth.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(300, body.GetProperty("expires_in").GetInt32());
        Assert.Equal("system/*.rs", body.GetProperty("scope").GetString()); // Patient.cruds is not registered for the client
        Assert.False(body.TryGetProperty("refresh_token", out _));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        var token = body.GetProperty("access_token").GetString()!;
        var claims = OAuth.Peek(token);
        Assert.Equal(clientId, claims.GetProperty("client_id").GetString());
        Assert.Equal(clientId, claims.GetProperty("sub").GetString());
        Assert.Equal(HttpStatusCode.OK, (await OAuth.GetAsync(Fixture.Http, Fixture.Root + "/fhir/Observation?_count=1", token)).StatusCode);
    }

    [Fact]
    public async Task A_replayed_assertion_is_refused()
    {
        var (key, clientId) = await RegisterAsync(JwsAlgorithm.ES384);
        var assertion = OAuth.Assertion(key, clientId, TokenUrl);
        Assert.Equal(HttpStatusCode.OK, (await OAuth.PostFormAsync(Fixture.Http, TokenUrl, OAuth.BackendForm(assertion))).StatusCode);
        var replay = await OAuth.PostFormAsync(Fixture.Http, TokenUrl, OAuth.BackendForm(assertion));
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        var error = await OAuth.JsonAsync(replay);
        Assert.Equal("invalid_client", error.GetProperty("error").GetString());
        Assert.Contains("jti", error.GetProperty("error_description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assertions_with_wrong_audience_long_life_wrong_key_or_sub_are_refused()
    {
        var (key, clientId) = await RegisterAsync(JwsAlgorithm.RS384);
        var stranger = JsonWebKey.Generate(JwsAlgorithm.RS384, key.Kid);
        var bad = new[]
        {
            OAuth.Assertion(key, clientId, Fixture.Root + "/t/other/auth/token"),
            OAuth.Assertion(key, clientId, TokenUrl, lifetime: TimeSpan.FromMinutes(30)),
            OAuth.Assertion(key, clientId, TokenUrl, lifetime: TimeSpan.FromMinutes(-10)),
            OAuth.Assertion(stranger, clientId, TokenUrl),
            OAuth.Assertion(key, clientId, TokenUrl, sub: "someone-else"),
            OAuth.Assertion(key, "unknown-client", TokenUrl),
        };
        foreach (var assertion in bad)
        {
            var response = await OAuth.PostFormAsync(Fixture.Http, TokenUrl, OAuth.BackendForm(assertion));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("invalid_client", (await OAuth.JsonAsync(response)).GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Client_secret_basic_and_post_work_and_a_wrong_secret_does_not()
    {
        var secret = await Fixture.AddClientAsync("default", new NewClient { ClientId = "secret-" + Guid.NewGuid().ToString("N")[..8] });
        var clients = await Fixture.Store.ListAsync<ClientRegistration>("default", IdentityStore.Clients, CancellationToken.None);
        var client = clients.Single(c => c.SecretHash is not null && c.ClientId.StartsWith("secret-", StringComparison.Ordinal) && Meridian.Identity.PasswordHasher.VerifySecret(secret, c.SecretHash));
        Assert.DoesNotContain(secret, client.SecretHash, StringComparison.Ordinal);
        var basic = await OAuth.PostFormAsync(Fixture.Http, TokenUrl, [new("grant_type", "client_credentials"), new("scope", "system/*.rs")], OAuth.Basic(client.ClientId, secret));
        Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        var post = await OAuth.PostFormAsync(Fixture.Http, TokenUrl, [new("grant_type", "client_credentials"), new("scope", "system/*.rs"), new("client_id", client.ClientId), new("client_secret", secret)]);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var wrong = await OAuth.PostFormAsync(Fixture.Http, TokenUrl, [new("grant_type", "client_credentials"), new("scope", "system/*.rs")], OAuth.Basic(client.ClientId, secret + "x"));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var none = await OAuth.PostFormAsync(Fixture.Http, TokenUrl, [new("grant_type", "client_credentials"), new("scope", "system/*.rs")]);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        var grant = await OAuth.PostFormAsync(Fixture.Http, TokenUrl, [new("grant_type", "password"), new("username", "admin")], OAuth.Basic(client.ClientId, secret));
        Assert.Equal("unsupported_grant_type", (await OAuth.JsonAsync(grant)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Introspection_reports_active_tokens_to_authenticated_clients_only()
    {
        var (key, clientId) = await RegisterAsync(JwsAlgorithm.ES384);
        var token = (await OAuth.JsonAsync(await OAuth.PostFormAsync(Fixture.Http, TokenUrl, OAuth.BackendForm(OAuth.Assertion(key, clientId, TokenUrl))))).GetProperty("access_token").GetString()!;
        var url = Fixture.Root + "/auth/introspect";
        var admin = OAuth.Basic(Fixture.Admin.ClientId, Fixture.Admin.ClientSecret);
        var active = await OAuth.JsonAsync(await OAuth.PostFormAsync(Fixture.Http, url, [new("token", token)], admin));
        Assert.True(active.GetProperty("active").GetBoolean());
        Assert.Equal(clientId, active.GetProperty("client_id").GetString());
        Assert.Equal("system/*.rs", active.GetProperty("scope").GetString());
        Assert.Equal("default", active.GetProperty("tenant").GetString());
        var garbage = await OAuth.JsonAsync(await OAuth.PostFormAsync(Fixture.Http, url, [new("token", token[..^4] + "AAAA")], admin));
        Assert.False(garbage.GetProperty("active").GetBoolean());
        var anonymous = await OAuth.PostFormAsync(Fixture.Http, url, [new("token", token)]);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        // Introspection at another tenant's endpoint does not vouch for this tenant's token.
        var otherTenant = await OAuth.PostFormAsync(Fixture.Http, Fixture.Root + "/t/elsewhere/auth/introspect", [new("token", token)], admin);
        Assert.Equal(HttpStatusCode.Unauthorized, otherTenant.StatusCode);
    }
}

public sealed class SqliteBackendServicesTests(SqliteAuthServerFixture fixture) : BackendServicesTests(fixture), IClassFixture<SqliteAuthServerFixture>;

public sealed class PostgresBackendServicesTests(PostgresAuthServerFixture fixture) : BackendServicesTests(fixture), IClassFixture<PostgresAuthServerFixture>;
