using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meridian.Identity.Accounts;
using Meridian.Identity.Jose;
using Meridian.Identity.Tests.Support;

namespace Meridian.Identity.Tests.Matrix;

/// <summary>
/// Two tenants on one real server (authentication on) with a few patients and observations
/// each, and one real access token per principal of the HTTP authorization matrix, every one
/// obtained from the built-in authorization server the way a client would: SMART Backend
/// Services (private_key_jwt), a client secret, and SMART App Launch (authorization code +
/// PKCE through the login page) for users with roles and for a patient.
/// </summary>
public sealed partial class MatrixWorld
{
    private const string Redirect = "http://127.0.0.1:9/callback";

    private static readonly string[] s_adminRole = ["admin"];

    private readonly AuthServerFixture _fx;

    private MatrixWorld(AuthServerFixture fx, string suffix)
    {
        _fx = fx;
        TenantA = "mxa" + suffix;
        TenantB = "mxb" + suffix;
    }

    public string TenantA { get; }
    public string TenantB { get; }

    /// <summary>Tenant A: pa1 and pa2 with one observation each; tenant B: pb1 and ob1.</summary>
    public string Pa1 { get; private set; } = "";
    public string Pa2 { get; private set; } = "";
    public string Oa1 { get; private set; } = "";
    public string Oa2 { get; private set; } = "";
    public string Pb1 { get; private set; } = "";
    public string Ob1 { get; private set; } = "";

    /// <summary>Principal name → bearer token (null: no Authorization header).</summary>
    public Dictionary<string, string?> Tokens { get; } = [];

    /// <summary>A tenant-A system token with every permission, to set up cells and check what they left behind.</summary>
    public string AdminToken => Tokens["admin"]!;

    public string Base(string tenant) => _fx.Prefix(tenant) + "/fhir";

    public static async Task<MatrixWorld> CreateAsync(AuthServerFixture fx)
    {
        var world = new MatrixWorld(fx, Guid.NewGuid().ToString("N")[..8]);
        await world.SetUpAsync();
        return world;
    }

    private async Task SetUpAsync()
    {
        Tokens["admin"] = await SecretTokenAsync(TenantA, "system/*.cruds", ["admin"]);
        var adminB = await SecretTokenAsync(TenantB, "system/*.cruds", ["admin"]);
        Pa1 = await CreateAsync(TenantA, AdminToken, Patient("MatrixA1"));
        Pa2 = await CreateAsync(TenantA, AdminToken, Patient("MatrixA2"));
        Oa1 = await CreateAsync(TenantA, AdminToken, Observation(Pa1, "seed"));
        Oa2 = await CreateAsync(TenantA, AdminToken, Observation(Pa2, "seed"));
        Pb1 = await CreateAsync(TenantB, adminB, Patient("MatrixB1"));
        Ob1 = await CreateAsync(TenantB, adminB, Observation(Pb1, "seed"));

        Tokens["anonymous"] = null;
        Tokens["forged"] = ForgedToken();
        Tokens["backend-rs"] = await BackendTokenAsync(TenantA, "system/*.rs", ["integration"]);
        Tokens["backend-crus"] = await SecretTokenAsync(TenantA, "system/*.cruds", ["integration"]);
        Tokens["tenant-b-backend"] = await BackendTokenAsync(TenantB, "system/*.rs", ["integration"]);
        Tokens["clinician"] = await UserTokenAsync(TenantA, "user/*.cruds", "Practitioner/dr", ["clinician"]);
        Tokens["front-desk"] = await UserTokenAsync(TenantA, "user/*.cruds", "Practitioner/fd", ["front-desk"]);
        Tokens["auditor"] = await UserTokenAsync(TenantA, "user/*.rs", "Practitioner/au", ["auditor"]);
        Tokens["patient"] = await UserTokenAsync(TenantA, "launch/patient patient/*.cruds", "Patient/" + Pa1, []);
    }

    public static string Patient(string family) => $$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]}""";

    public static string Observation(string patient, string marker) =>
        $$$"""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"urn:matrix","code":"{{{marker}}}"}]},"subject":{"reference":"Patient/{{{patient}}}"}}""";

    /// <summary>Creates a resource as <paramref name="token"/> and returns its id.</summary>
    public async Task<string> CreateAsync(string tenant, string token, string json)
    {
        using var response = await SendAsync(tenant, token, HttpMethod.Post, ResourceType(json), json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    public async Task<HttpResponseMessage> SendAsync(string tenant, string? token, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, Base(tenant) + "/" + path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/fhir+json");
        }
        return await _fx.Http.SendAsync(request);
    }

    private static string ResourceType(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("resourceType").GetString()!;
    }

    /// <summary>A token signed with a key the server never saw, claiming everything.</summary>
    private string ForgedToken()
    {
        var key = JsonWebKey.Generate(JwsAlgorithm.ES384);
        var now = DateTimeOffset.UtcNow;
        return TestTokens.Sign(key, new
        {
            iss = _fx.Prefix(TenantA) + "/auth", aud = Base(TenantA), sub = "mallory", client_id = "mallory", scope = "system/*.cruds",
            tenant = TenantA, roles = s_adminRole, jti = Guid.NewGuid().ToString("N"), iat = now.ToUnixTimeSeconds(), exp = (now + TimeSpan.FromMinutes(5)).ToUnixTimeSeconds(),
        }, typ: "at+jwt");
    }

    private async Task<string> SecretTokenAsync(string tenant, string scope, string[] roles)
    {
        var clientId = "secret-" + Guid.NewGuid().ToString("N")[..8];
        var secret = await _fx.AddClientAsync(tenant, new NewClient { ClientId = clientId, Scopes = [.. scope.Split(' ')], Roles = [.. roles] });
        var response = await OAuth.PostFormAsync(_fx.Http, _fx.Prefix(tenant) + "/auth/token", [new("grant_type", "client_credentials"), new("scope", scope)], OAuth.Basic(clientId, secret));
        return await AccessTokenAsync(response);
    }

    private async Task<string> BackendTokenAsync(string tenant, string scope, string[] roles)
    {
        var key = JsonWebKey.Generate(JwsAlgorithm.ES384);
        var clientId = "backend-" + Guid.NewGuid().ToString("N")[..8];
        await _fx.AddClientAsync(tenant, new NewClient { ClientId = clientId, Jwks = new JsonWebKeySet([key]).ToJson(), Scopes = [.. scope.Split(' ')], Roles = [.. roles] });
        var tokenUrl = _fx.Prefix(tenant) + "/auth/token";
        var response = await OAuth.PostFormAsync(_fx.Http, tokenUrl, OAuth.BackendForm(OAuth.Assertion(key, clientId, tokenUrl), scope));
        return await AccessTokenAsync(response);
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\">")]
    private static partial Regex FormAction();

    /// <summary>Authorization code + PKCE through the login page, as a browser and an app would.</summary>
    private async Task<string> UserTokenAsync(string tenant, string scope, string fhirUser, string[] roles)
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (clientId, username, password, verifier) = ("app-" + suffix, "user-" + suffix, "correct horse " + suffix, OAuth.NewVerifier());
        await _fx.AddClientAsync(tenant, new NewClient { ClientId = clientId, Public = true, RedirectUris = [Redirect] });
        await _fx.AddUserAsync(tenant, username, password, fhirUser, roles);
        var authorize = _fx.Prefix(tenant) + "/auth/authorize?" + string.Join('&', new Dictionary<string, string>
        {
            ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = Redirect, ["scope"] = scope, ["state"] = "s",
            ["aud"] = Base(tenant), ["code_challenge"] = OAuth.Challenge(verifier), ["code_challenge_method"] = "S256",
        }.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));
        using var page = await _fx.Http.GetAsync(authorize);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"{page.StatusCode} {html}");
        var form = HiddenField().Matches(html).Select(m => new KeyValuePair<string, string>(m.Groups[1].Value, WebUtility.HtmlDecode(m.Groups[2].Value))).ToList();
        form.Add(new("username", username));
        form.Add(new("password", password));
        using var signedIn = await OAuth.PostFormAsync(_fx.Http, WebUtility.HtmlDecode(FormAction().Match(html).Groups[1].Value), form);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Found, $"{signedIn.StatusCode} {await signedIn.Content.ReadAsStringAsync()}");
        var code = signedIn.Headers.Location!.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).Single(p => p[0] == "code")[1];
        var response = await OAuth.PostFormAsync(_fx.Http, _fx.Prefix(tenant) + "/auth/token",
            [new("grant_type", "authorization_code"), new("code", Uri.UnescapeDataString(code)), new("redirect_uri", Redirect), new("client_id", clientId), new("code_verifier", verifier)]);
        return await AccessTokenAsync(response);
    }

    private static async Task<string> AccessTokenAsync(HttpResponseMessage response)
    {
        var body = await OAuth.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        response.Dispose();
        return body.GetProperty("access_token").GetString()!;
    }
}
