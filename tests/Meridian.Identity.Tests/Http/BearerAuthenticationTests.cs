using System.Net;
using Meridian.Identity.Accounts;
using Meridian.Identity.Jose;
using Meridian.Identity.Tests.Support;

namespace Meridian.Identity.Tests.Http;

/// <summary>The FHIR API over real HTTP with authentication on: no token, bad token, good token, other tenant.</summary>
public abstract class BearerAuthenticationTests(AuthServerFixture fixture)
{
    protected AuthServerFixture Fixture { get; } = fixture;

    private async Task<string> AdminTokenAsync(string scope = "system/*.*")
    {
        var response = await OAuth.PostFormAsync(Fixture.Http, Fixture.Root + "/auth/token",
            [new("grant_type", "client_credentials"), new("scope", scope)], OAuth.Basic(Fixture.Admin.ClientId, Fixture.Admin.ClientSecret));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await OAuth.JsonAsync(response)).GetProperty("access_token").GetString()!;
    }

    [Fact]
    public async Task Without_a_token_the_FHIR_API_answers_401_with_a_challenge_and_an_OperationOutcome()
    {
        var response = await OAuth.GetAsync(Fixture.Http, Fixture.Root + "/fhir/Patient", null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer realm=\"meridian\"", response.Headers.WwwAuthenticate.ToString());
        var body = await OAuth.JsonAsync(response);
        Assert.Equal("OperationOutcome", body.GetProperty("resourceType").GetString());
        Assert.Equal("login", body.GetProperty("issue")[0].GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.")]
    public async Task A_bad_token_gets_invalid_token(string token)
    {
        var response = await OAuth.GetAsync(Fixture.Http, Fixture.Root + "/fhir/Patient", token);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_signed_by_a_stranger_with_our_kid_is_refused()
    {
        var good = await AdminTokenAsync();
        var kid = OAuth.Peek(good).ToString(); // the payload; the kid sits in the header
        var header = System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(Pad(good.Split('.')[0]))).RootElement;
        var stranger = JsonWebKey.Generate(JwsAlgorithm.RS256, header.GetProperty("kid").GetString());
        var forged = CompactJws.Sign(stranger, JwsAlgorithm.RS256, System.Text.Encoding.UTF8.GetBytes(kid), "at+jwt");
        var response = await OAuth.GetAsync(Fixture.Http, Fixture.Root + "/fhir/Patient", forged);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("signature", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_CapabilityStatement_and_smart_configuration_are_open()
    {
        var metadata = await OAuth.GetAsync(Fixture.Http, Fixture.Root + "/fhir/metadata", null);
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        var smart = await OAuth.JsonAsync(await OAuth.GetAsync(Fixture.Http, Fixture.Root + "/t/acme/fhir/.well-known/smart-configuration", null));
        Assert.Equal(Fixture.Root + "/t/acme/auth", smart.GetProperty("issuer").GetString());
        Assert.Equal(Fixture.Root + "/t/acme/auth/token", smart.GetProperty("token_endpoint").GetString());
        Assert.Equal("S256", smart.GetProperty("code_challenge_methods_supported")[0].GetString());
        Assert.Contains("client-confidential-asymmetric", smart.GetProperty("capabilities").EnumerateArray().Select(e => e.GetString()));
        var jwks = JsonWebKeySet.Parse(await (await OAuth.GetAsync(Fixture.Http, smart.GetProperty("jwks_uri").GetString()!, null)).Content.ReadAsStringAsync()).Value;
        Assert.All(jwks.Keys, k => Assert.False(k.HasPrivateKey));
    }

    [Fact]
    public async Task A_valid_token_reaches_the_FHIR_API()
    {
        var token = await AdminTokenAsync();
        var response = await OAuth.GetAsync(Fixture.Http, Fixture.Root + "/fhir/Patient?_count=1", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var claims = OAuth.Peek(token);
        Assert.Equal(Fixture.Root + "/fhir", claims.GetProperty("aud").GetString());
        Assert.Equal("default", claims.GetProperty("tenant").GetString());
        Assert.Equal("admin", claims.GetProperty("roles")[0].GetString());
        Assert.True(claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64() <= 300);
    }

    [Fact]
    public async Task A_token_of_one_tenant_is_refused_by_another()
    {
        var tenant = "t" + Guid.NewGuid().ToString("N")[..10];
        var secret = await Fixture.AddClientAsync(tenant, new NewClient { ClientId = "svc" });
        var response = await OAuth.PostFormAsync(Fixture.Http, $"{Fixture.Root}/t/{tenant}/auth/token",
            [new("grant_type", "client_credentials"), new("scope", "system/*.rs")], OAuth.Basic("svc", secret));
        var token = (await OAuth.JsonAsync(response)).GetProperty("access_token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await OAuth.GetAsync(Fixture.Http, $"{Fixture.Root}/t/{tenant}/fhir/Patient", token)).StatusCode);
        foreach (var other in new[] { $"{Fixture.Root}/t/other/fhir/Patient", $"{Fixture.Root}/fhir/Patient" })
        {
            var refused = await OAuth.GetAsync(Fixture.Http, other, token);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        // ...and the default tenant's admin token does not open the new tenant either.
        Assert.Equal(HttpStatusCode.Unauthorized, (await OAuth.GetAsync(Fixture.Http, $"{Fixture.Root}/t/{tenant}/fhir/Patient", await AdminTokenAsync())).StatusCode);
        // The secret of one tenant's client means nothing in another tenant.
        var elsewhere = await OAuth.PostFormAsync(Fixture.Http, Fixture.Root + "/auth/token",
            [new("grant_type", "client_credentials"), new("scope", "system/*.rs")], OAuth.Basic("svc", secret));
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
    }

    private static string Pad(string b64url)
    {
        var s = b64url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - s.Length % 4) % 4);
    }
}

public sealed class SqliteBearerAuthenticationTests(SqliteAuthServerFixture fixture) : BearerAuthenticationTests(fixture), IClassFixture<SqliteAuthServerFixture>;

public sealed class PostgresBearerAuthenticationTests(PostgresAuthServerFixture fixture) : BearerAuthenticationTests(fixture), IClassFixture<PostgresAuthServerFixture>;
