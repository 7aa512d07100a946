using System.Net;
using Meridian.Identity.Jose;
using Meridian.Identity.Tests.Support;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Identity.Tests.Http;

/// <summary>External identity provider mode: tokens of a configured issuer, checked against its JWKS from a local file.</summary>
public sealed class ExternalIssuerTests : IAsyncLifetime, IDisposable
{
    private const string Issuer = "https://idp.example.test/realms/meridian";
    private const string Audience = "meridian-fhir";
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-extidp-").FullName;
    private readonly JsonWebKey _idpKey = JsonWebKey.Generate(JwsAlgorithm.RS256, "idp-2026");
    private WebApplication? _app;
    private string _root = "";
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        var jwks = Path.Combine(_dir, "idp-jwks.json");
        await File.WriteAllTextAsync(jwks, new JsonWebKeySet([_idpKey]).ToJson());
        _app = await MeridianServer.BuildAsync([], new Dictionary<string, string?>
        {
            ["Meridian:Port"] = "0",
            ["Meridian:Data"] = _dir,
            ["Meridian:Identity:Mode"] = "external",
            ["Meridian:Identity:External:Issuer"] = Issuer,
            ["Meridian:Identity:External:Audience"] = Audience,
            ["Meridian:Identity:External:JwksFile"] = jwks,
            ["Meridian:Identity:External:RolesClaim"] = "realm_roles",
        });
        await _app.StartAsync();
        _root = MeridianServer.Addresses(_app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
    }

    private string Token(JsonWebKey key, string iss = Issuer, string aud = Audience, string? tenant = null, int minutes = 5)
    {
        var now = DateTimeOffset.UtcNow;
        object claims = tenant is null
            ? new { iss, aud, sub = "u-1", azp = "portal", scope = "user/*.rs", realm_roles = new[] { "nurse" }, exp = now.AddMinutes(minutes).ToUnixTimeSeconds(), iat = now.ToUnixTimeSeconds() }
            : new { iss, aud, sub = "u-1", azp = "portal", scope = "user/*.rs", tenant, exp = now.AddMinutes(minutes).ToUnixTimeSeconds(), iat = now.ToUnixTimeSeconds() };
        return TestTokens.Sign(key, claims);
    }

    [Fact]
    public async Task Tokens_of_the_configured_issuer_are_accepted_and_others_refused()
    {
        Assert.Equal(HttpStatusCode.OK, (await OAuth.GetAsync(_http, _root + "/fhir/Patient", Token(_idpKey))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await OAuth.GetAsync(_http, _root + "/t/ward-9/fhir/Patient", Token(_idpKey, tenant: "ward-9"))).StatusCode);
        var refused = new[]
        {
            Token(_idpKey, iss: "https://other-idp.test"),
            Token(_idpKey, aud: "someone-else"),
            Token(_idpKey, minutes: -5),
            Token(JsonWebKey.Generate(JwsAlgorithm.RS256, "idp-2026")),
            Token(_idpKey, tenant: "ward-9"), // on the default tenant below
        };
        foreach (var token in refused)
        {
            var response = await OAuth.GetAsync(_http, _root + "/fhir/Patient", token);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await OAuth.GetAsync(_http, _root + "/t/ward-9/fhir/Patient", Token(_idpKey))).StatusCode);
    }

    [Fact]
    public async Task The_built_in_server_is_off_and_discovery_names_the_external_issuer()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.PostAsync(_root + "/auth/token", new FormUrlEncodedContent([]))).StatusCode);
        var smart = await OAuth.JsonAsync(await _http.GetAsync(_root + "/fhir/.well-known/smart-configuration"));
        Assert.Equal(Issuer, smart.GetProperty("issuer").GetString());
    }

    [Fact]
    public void Claims_map_to_the_principal_by_the_configured_names()
    {
        var options = new IdentityOptions { Mode = "external", External = { Issuer = Issuer, Audience = Audience, RolesClaim = "realm_roles" } };
        var validator = new Tokens.ExternalTokenValidator(new JsonWebKeySet([_idpKey.PublicOnly()]), options, TimeProvider.System);
        var principal = validator.Validate(Token(_idpKey), new IdentityUrls("http://x", IdentityUrls.DefaultTenant)).Value;
        Assert.Equal("u-1", principal.UserId);
        Assert.Equal("portal", principal.ClientId);
        Assert.Equal("nurse", Assert.Single(principal.Roles));
        Assert.Equal("user/*.rs", Assert.Single(principal.Scopes));
        Assert.Equal("default", principal.Tenant);
    }

    public void Dispose() => _http.Dispose();

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
