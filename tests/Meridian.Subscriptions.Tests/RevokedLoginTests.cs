using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meridian.Identity.Accounts;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// A revoked login stops its subscriptions: over real HTTP against a server with the built-in
/// identity server, a user signs in twice (two refresh-token families), each login creates a
/// subscription with its own access token; reusing a spent refresh token of the first login
/// revokes that family, and the creator-rights check turns that login's subscription <c>off</c>
/// with the reason while the other login's (same user) keeps delivering. Both stores.
/// </summary>
public abstract partial class RevokedLoginTests(Func<TestServerStore> newStore) : IAsyncLifetime
{
    private const string Redirect = "http://127.0.0.1:9/callback";
    private readonly TestServerStore _store = newStore();
    private HttpClient Http { get; } = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(1) };
    private WebApplication? _app;
    private string _root = "";

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\">")]
    private static partial Regex FormAction();

    public async Task InitializeAsync()
    {
        var settings = await _store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:Events:PollInterval"] = "50ms";
        settings["Meridian:Subscriptions:RightsCheckInterval"] = "200ms";
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

    [Fact]
    public async Task Reusing_a_spent_refresh_token_revokes_the_login_and_turns_its_subscription_off()
    {
        await using var receiver = await Receiver.StartAsync();
        var services = _app!.Services;
        var result = await ClientAdmin.AddAsync(services.GetRequiredService<IdentityStore>(), "default",
            new NewClient { ClientId = "ward-app", Public = true, RedirectUris = [Redirect] }, TimeProvider.System, CancellationToken.None);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.True(await services.GetRequiredService<LoginService>().CreateAsync("default", "nurse", "correct horse battery", "Practitioner/p1", ["clinician"], CancellationToken.None));

        var first = await LoginAsync();
        var second = await LoginAsync();
        var firstSid = Claims(first.Access).GetProperty("sid").GetString();
        Assert.False(string.IsNullOrEmpty(firstSid));
        Assert.NotEqual(firstSid, Claims(second.Access).GetProperty("sid").GetString());

        var revoked = await CreateActiveAsync(first.Access, receiver.Url("first"));
        var kept = await CreateActiveAsync(second.Access, receiver.Url("second"));
        var before = await CreatePatientAsync(second.Access, "Before");
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("first").Count >= 1 && receiver.Got("second").Count >= 1, "both logins' subscriptions deliver");

        // Rotation, then the spent token again: reuse means a copied token, and the whole family is revoked.
        var rotated = await TokenAsync([new("grant_type", "refresh_token"), new("refresh_token", first.Refresh), new("client_id", "ward-app")]);
        Assert.Equal(HttpStatusCode.OK, rotated.Status);
        var reused = await TokenAsync([new("grant_type", "refresh_token"), new("refresh_token", first.Refresh), new("client_id", "ward-app")]);
        Assert.Equal(HttpStatusCode.BadRequest, reused.Status);
        Assert.Equal("invalid_grant", reused.Body.GetProperty("error").GetString());

        await SubscriptionFixture.EventuallyAsync(async () => (await ReadAsync(second.Access, "Subscription/" + revoked)).GetProperty("status").GetString() == "off", "the revoked login's subscription turned off");
        var off = await ReadAsync(second.Access, "Subscription/" + revoked);
        Assert.Equal(CreatorRightsMonitor.ReasonPrefix + "the login its token was issued under (refresh-token family) was revoked", off.GetProperty("error").GetString());

        var after = await CreatePatientAsync(second.Access, "After");
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("second").Any(r => r.Path.EndsWith("/Patient/" + after, StringComparison.Ordinal)), "the other login's subscription keeps delivering");
        Assert.Equal("active", (await ReadAsync(second.Access, "Subscription/" + kept)).GetProperty("status").GetString());
        Assert.Equal(["/hook/first/Patient/" + before], receiver.Got("first").Select(r => r.Path));
    }

    private sealed record Tokens(string Access, string Refresh);

    /// <summary>Authorization code with PKCE through the login page, as a browser and a public app would.</summary>
    private async Task<Tokens> LoginAsync()
    {
        var verifier = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var challenge = Convert.ToBase64String(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var authorize = _root + "/auth/authorize?" + string.Join('&', new Dictionary<string, string>
        {
            ["response_type"] = "code", ["client_id"] = "ward-app", ["redirect_uri"] = Redirect, ["scope"] = "openid fhirUser offline_access user/*.cruds",
            ["state"] = "s", ["aud"] = _root + "/fhir", ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        }.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));
        using var page = await Http.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var form = HiddenField().Matches(html).Select(m => new KeyValuePair<string, string>(m.Groups[1].Value, WebUtility.HtmlDecode(m.Groups[2].Value))).ToList();
        form.Add(new("username", "nurse"));
        form.Add(new("password", "correct horse battery"));
        using var signedIn = await Http.PostAsync(new Uri(new Uri(_root), WebUtility.HtmlDecode(FormAction().Match(html).Groups[1].Value)), new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Found, signedIn.StatusCode);
        var code = signedIn.Headers.Location!.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).First(p => p[0] == "code")[1];
        var (status, body) = await TokenAsync([new("grant_type", "authorization_code"), new("code", Uri.UnescapeDataString(code)), new("redirect_uri", Redirect),
            new("client_id", "ward-app"), new("code_verifier", verifier)]);
        Assert.Equal(HttpStatusCode.OK, status);
        return new Tokens(body.GetProperty("access_token").GetString()!, body.GetProperty("refresh_token").GetString()!);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(List<KeyValuePair<string, string>> form)
    {
        using var response = await Http.PostAsync(_root + "/auth/token", new FormUrlEncodedContent(form));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.Clone());
    }

    private static JsonElement Claims(string jwt)
    {
        var part = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        using var doc = JsonDocument.Parse(Convert.FromBase64String(part.PadRight(part.Length + (4 - part.Length % 4) % 4, '=')));
        return doc.RootElement.Clone();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> FhirAsync(HttpMethod method, string bearer, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, _root + "/fhir/" + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/fhir+json");
        using var response = await Http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.Clone());
    }

    private async Task<JsonElement> ReadAsync(string bearer, string path)
    {
        var (status, body) = await FhirAsync(HttpMethod.Get, bearer, path);
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    private async Task<string> CreatePatientAsync(string bearer, string name)
    {
        var (status, body) = await FhirAsync(HttpMethod.Post, bearer, "Patient", Resources.Patient(name));
        Assert.Equal(HttpStatusCode.Created, status);
        return body.GetProperty("id").GetString()!;
    }

    private async Task<string> CreateActiveAsync(string bearer, string endpoint)
    {
        var (status, body) = await FhirAsync(HttpMethod.Post, bearer, "Subscription", Resources.R4Subscription("Patient?", endpoint));
        Assert.Equal(HttpStatusCode.Created, status);
        var id = body.GetProperty("id").GetString()!;
        await SubscriptionFixture.EventuallyAsync(async () => (await ReadAsync(bearer, "Subscription/" + id)).GetProperty("status").GetString() == "active", "active");
        return id;
    }
}

public sealed class SqliteRevokedLoginTests() : RevokedLoginTests(() => TestServerStore.Sqlite("subs-login-"));

[Collection("postgres")]
public sealed class PostgresRevokedLoginTests() : RevokedLoginTests(TestServerStore.Postgres);
