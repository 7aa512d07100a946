using System.Net;
using System.Text.RegularExpressions;
using Meridian.Identity.Accounts;
using Meridian.Identity.Tests.Support;

namespace Meridian.Identity.Tests.Http;

/// <summary>SMART App Launch v2: authorization code with PKCE, driving the login page like a browser; refresh rotation.</summary>
public abstract partial class AuthorizationCodeTests(AuthServerFixture fixture)
{
    private const string Redirect = "http://127.0.0.1:9/callback";

    protected AuthServerFixture Fixture { get; } = fixture;

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenField();

    [GeneratedRegex("<form method=\"post\" action=\"([^\"]+)\">")]
    private static partial Regex FormAction();

    private sealed record Login(string ClientId, string Username, string Password, string Verifier);

    private async Task<Login> SetUpAsync(string? fhirUser = "Practitioner/p1")
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var login = new Login("app-" + suffix, "user-" + suffix, "correct horse " + suffix, OAuth.NewVerifier());
        await Fixture.AddClientAsync("default", new NewClient { ClientId = login.ClientId, Public = true, RedirectUris = [Redirect] });
        await Fixture.AddUserAsync("default", login.Username, login.Password, fhirUser, "clinician");
        return login;
    }

    private string AuthorizeUrl(Login login, string scope, string state = "xyz", string? redirect = null, string? challenge = null, string? aud = null) =>
        Fixture.Root + "/auth/authorize?" + string.Join('&', new Dictionary<string, string>
        {
            ["response_type"] = "code", ["client_id"] = login.ClientId, ["redirect_uri"] = redirect ?? Redirect, ["scope"] = scope,
            ["state"] = state, ["aud"] = aud ?? Fixture.Root + "/fhir", ["code_challenge"] = challenge ?? OAuth.Challenge(login.Verifier), ["code_challenge_method"] = "S256",
        }.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));

    /// <summary>Opens the login page, fills it in and submits it, as a browser would.</summary>
    private async Task<HttpResponseMessage> SignInAsync(string authorizeUrl, string username, string password, string? patient = null)
    {
        var page = await Fixture.Http.GetAsync(authorizeUrl);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        var html = await page.Content.ReadAsStringAsync();
        var form = HiddenField().Matches(html).Select(m => new KeyValuePair<string, string>(m.Groups[1].Value, WebUtility.HtmlDecode(m.Groups[2].Value))).ToList();
        form.Add(new("username", username));
        form.Add(new("password", password));
        if (patient is not null)
        {
            Assert.Contains("name=\"patient\"", html, StringComparison.Ordinal);
            form.Add(new("patient", patient));
        }
        return await OAuth.PostFormAsync(Fixture.Http, WebUtility.HtmlDecode(FormAction().Match(html).Groups[1].Value), form);
    }

    private static Dictionary<string, string> QueryOf(Uri location) =>
        location.Query.TrimStart('?').Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]));

    private async Task<HttpResponseMessage> RedeemAsync(Login login, string code, string? verifier = null) =>
        await OAuth.PostFormAsync(Fixture.Http, Fixture.Root + "/auth/token",
            [new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", Redirect), new("client_id", login.ClientId), new("code_verifier", verifier ?? login.Verifier)]);

    [Fact]
    public async Task Login_with_PKCE_yields_user_tokens_with_patient_context_refresh_and_id_token()
    {
        var login = await SetUpAsync();
        var signedIn = await SignInAsync(AuthorizeUrl(login, "launch/patient openid fhirUser offline_access patient/*.rs", state: "s-1"), login.Username, login.Password, patient: "pat-42");
        Assert.Equal(HttpStatusCode.Found, signedIn.StatusCode);
        var location = signedIn.Headers.Location!;
        Assert.StartsWith(Redirect + "?", location.ToString(), StringComparison.Ordinal);
        var query = QueryOf(location);
        Assert.Equal("s-1", query["state"]);
        var response = await RedeemAsync(login, query["code"]);
        var body = await OAuth.JsonAsync(response);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("pat-42", body.GetProperty("patient").GetString());
        Assert.Contains("patient/*.rs", body.GetProperty("scope").GetString(), StringComparison.Ordinal);
        var claims = OAuth.Peek(body.GetProperty("access_token").GetString()!);
        Assert.Equal("Practitioner/p1", claims.GetProperty("fhirUser").GetString());
        Assert.Equal("pat-42", claims.GetProperty("patient").GetString());
        Assert.Equal("clinician", claims.GetProperty("roles")[0].GetString());
        var idToken = OAuth.Peek(body.GetProperty("id_token").GetString()!);
        Assert.Equal(login.ClientId, idToken.GetProperty("aud").GetString());
        Assert.Equal(Fixture.Root + "/fhir/Practitioner/p1", idToken.GetProperty("fhirUser").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refresh_token").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await OAuth.GetAsync(Fixture.Http, Fixture.Root + "/fhir/Patient?_count=1", body.GetProperty("access_token").GetString())).StatusCode);
        // The code is single-use.
        Assert.Equal("invalid_grant", (await OAuth.JsonAsync(await RedeemAsync(login, query["code"]))).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_patient_user_is_their_own_patient_context()
    {
        var login = await SetUpAsync(fhirUser: "Patient/me-7");
        var signedIn = await SignInAsync(AuthorizeUrl(login, "launch/patient patient/*.rs"), login.Username, login.Password);
        var body = await OAuth.JsonAsync(await RedeemAsync(login, QueryOf(signedIn.Headers.Location!)["code"]));
        Assert.Equal("me-7", body.GetProperty("patient").GetString());
    }

    [Fact]
    public async Task A_wrong_code_verifier_is_refused_and_spends_the_code()
    {
        var login = await SetUpAsync();
        var signedIn = await SignInAsync(AuthorizeUrl(login, "user/*.rs"), login.Username, login.Password);
        var code = QueryOf(signedIn.Headers.Location!)["code"];
        var wrong = await OAuth.JsonAsync(await RedeemAsync(login, code, OAuth.NewVerifier()));
        Assert.Equal("invalid_grant", wrong.GetProperty("error").GetString());
        Assert.Equal("invalid_grant", (await OAuth.JsonAsync(await RedeemAsync(login, code))).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Bad_authorize_requests_never_redirect_to_unregistered_uris_and_errors_go_back_to_the_app()
    {
        var login = await SetUpAsync();
        var unregistered = await Fixture.Http.GetAsync(AuthorizeUrl(login, "user/*.rs", redirect: "http://evil.test/cb"));
        Assert.Equal(HttpStatusCode.BadRequest, unregistered.StatusCode);
        Assert.Null(unregistered.Headers.Location);
        var wrongAud = await Fixture.Http.GetAsync(AuthorizeUrl(login, "user/*.rs", aud: "http://elsewhere/fhir"));
        Assert.Equal(HttpStatusCode.Found, wrongAud.StatusCode);
        Assert.Equal("invalid_request", QueryOf(wrongAud.Headers.Location!)["error"]);
        var noPkce = await Fixture.Http.GetAsync(AuthorizeUrl(login, "user/*.rs").Replace("code_challenge_method=S256", "code_challenge_method=plain", StringComparison.Ordinal));
        Assert.Equal("invalid_request", QueryOf(noPkce.Headers.Location!)["error"]);
    }

    [Fact]
    public async Task Repeated_wrong_passwords_lock_the_account()
    {
        var login = await SetUpAsync();
        var url = AuthorizeUrl(login, "user/*.rs");
        for (var i = 0; i < AuthServerFixture.MaxFailedLogins; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(url, login.Username, "wrong")).StatusCode);
        }
        var locked = await SignInAsync(url, login.Username, login.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Contains("locked", await locked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var user = await Fixture.Store.GetAsync<UserAccount>("default", IdentityStore.Users, login.Username, CancellationToken.None);
        Assert.NotNull(user!.Value.LockedUntil);
        Assert.StartsWith("pbkdf2-sha512$600000$", user.Value.PasswordHash, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refresh_tokens_rotate_and_reuse_revokes_the_whole_family()
    {
        var login = await SetUpAsync();
        var signedIn = await SignInAsync(AuthorizeUrl(login, "offline_access user/*.rs"), login.Username, login.Password);
        var first = await OAuth.JsonAsync(await RedeemAsync(login, QueryOf(signedIn.Headers.Location!)["code"]));
        var r1 = first.GetProperty("refresh_token").GetString()!;

        async Task<HttpResponseMessage> RefreshAsync(string token) => await OAuth.PostFormAsync(Fixture.Http, Fixture.Root + "/auth/token",
            [new("grant_type", "refresh_token"), new("refresh_token", token), new("client_id", login.ClientId)]);

        var second = await OAuth.JsonAsync(await RefreshAsync(r1));
        var r2 = second.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(r1, r2);
        Assert.Equal("offline_access user/*.rs", second.GetProperty("scope").GetString());
        var third = await OAuth.JsonAsync(await RefreshAsync(r2));
        var r3 = third.GetProperty("refresh_token").GetString()!;
        // Every access token of the login names its family (sid), so what outlives a token can check the login.
        var family = OAuth.Peek(first.GetProperty("access_token").GetString()!).GetProperty("sid").GetString();
        Assert.False(string.IsNullOrEmpty(family));
        Assert.Equal(family, OAuth.Peek(second.GetProperty("access_token").GetString()!).GetProperty("sid").GetString());
        Assert.Equal(family, OAuth.Peek(third.GetProperty("access_token").GetString()!).GetProperty("sid").GetString());

        // r1 was stolen and replayed: refused, and the live r3 dies with it.
        var reuse = await RefreshAsync(r1);
        Assert.Equal(HttpStatusCode.BadRequest, reuse.StatusCode);
        Assert.Equal("invalid_grant", (await OAuth.JsonAsync(reuse)).GetProperty("error").GetString());
        Assert.Equal("invalid_grant", (await OAuth.JsonAsync(await RefreshAsync(r3))).GetProperty("error").GetString());
        // Another client cannot use someone else's refresh token either.
        Assert.Equal(HttpStatusCode.BadRequest, (await OAuth.PostFormAsync(Fixture.Http, Fixture.Root + "/auth/token",
            [new("grant_type", "refresh_token"), new("refresh_token", r3)], OAuth.Basic(Fixture.Admin.ClientId, Fixture.Admin.ClientSecret))).StatusCode);
    }
}

public sealed class SqliteAuthorizationCodeTests(SqliteAuthServerFixture fixture) : AuthorizationCodeTests(fixture), IClassFixture<SqliteAuthServerFixture>;

public sealed class PostgresAuthorizationCodeTests(PostgresAuthServerFixture fixture) : AuthorizationCodeTests(fixture), IClassFixture<PostgresAuthServerFixture>;
