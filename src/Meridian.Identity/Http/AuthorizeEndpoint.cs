using System.Collections.Immutable;
using Meridian.Identity.Accounts;
using Meridian.Identity.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Http;

/// <summary>
/// <c>[auth]/authorize</c>: SMART App Launch v2 authorization-code flow with PKCE S256. GET shows
/// the login page; POST checks the credentials and redirects back with a one-time code (60 s).
/// Until client_id and redirect_uri are known good, errors are shown here and never redirected
/// (an open redirector otherwise); after that, per RFC 6749 §4.1.2.1, they go to the app.
/// </summary>
internal static class AuthorizeEndpoint
{
    private static readonly TimeSpan s_codeLifetime = TimeSpan.FromSeconds(60);

    private sealed record AuthorizeRequest(ClientRegistration Client, Dictionary<string, string> Parameters, ImmutableArray<string> Scopes)
    {
        public string RedirectUri => Parameters["redirect_uri"];
        public string? State => Parameters.GetValueOrDefault("state");
    }

    public static async Task<IResult> GetAsync(HttpContext http, string tenant, IdentityOptions options, CancellationToken ct)
    {
        var parameters = http.Request.Query.Where(q => q.Value.Count == 1).ToDictionary(q => q.Key, q => q.Value[0] ?? "", StringComparer.Ordinal);
        var checkedRequest = await CheckAsync(http, tenant, options, parameters, ct).ConfigureAwait(false);
        if (checkedRequest.Result is not null)
        {
            return checkedRequest.Result;
        }
        var r = checkedRequest.Request!;
        return LoginPage.Render(IdentityUrls.For(http.Request, options, tenant).AuthorizeEndpoint, r.Parameters, r.Client.Name ?? r.Client.ClientId, AsksPatient(r), null);
    }

    public static async Task<IResult> PostAsync(HttpContext http, string tenant, IdentityOptions options, CancellationToken ct)
    {
        var form = await TokenEndpoint.ReadFormAsync(http, ct).ConfigureAwait(false);
        if (form is null)
        {
            return LoginPage.Error("The sign-in form could not be read.");
        }
        var parameters = LoginPage.CarriedParameters.Where(form.ContainsKey).ToDictionary(n => n, n => form[n].ToString(), StringComparer.Ordinal);
        var checkedRequest = await CheckAsync(http, tenant, options, parameters, ct).ConfigureAwait(false);
        if (checkedRequest.Result is not null)
        {
            return checkedRequest.Result;
        }
        var r = checkedRequest.Request!;
        var action = IdentityUrls.For(http.Request, options, tenant).AuthorizeEndpoint;
        var services = http.RequestServices;
        var login = await services.GetRequiredService<LoginService>().LoginAsync(tenant, form["username"].ToString(), form["password"].ToString(), ct).ConfigureAwait(false);
        if (!login.IsSuccess)
        {
            return LoginPage.Render(action, r.Parameters, r.Client.Name ?? r.Client.ClientId, AsksPatient(r), login.Error!.Description, 401);
        }
        var user = login.Value;
        string? patient = null;
        if (r.Scopes.Contains("launch/patient"))
        {
            // SMART: a patient user is their own context; anyone else picks the patient here.
            patient = user.FhirUser is { } fu && fu.StartsWith("Patient/", StringComparison.Ordinal) ? fu["Patient/".Length..] : form["patient"].ToString().Trim();
            if (!IsFhirId(patient))
            {
                return LoginPage.Render(action, r.Parameters, r.Client.Name ?? r.Client.ClientId, true, "Enter the id of the patient to open (letters, digits, '-', '.').", 400);
            }
        }
        var code = PasswordHasher.NewSecret();
        var record = new AuthorizationCode
        {
            ClientId = r.Client.ClientId, RedirectUri = r.RedirectUri, CodeChallenge = r.Parameters["code_challenge"],
            UserId = user.UserId, FhirUser = user.FhirUser, Roles = user.Roles, Scopes = r.Scopes, PatientContext = patient,
        };
        var store = services.GetRequiredService<IdentityStore>();
        var clock = services.GetRequiredService<TimeProvider>();
        await store.PutAsync(tenant, IdentityStore.Codes, PasswordHasher.HashSecret(code), record, Storage.Records.SystemRecord.Absent, clock.GetUtcNow() + s_codeLifetime, ct).ConfigureAwait(false);
        return Redirect(r.RedirectUri, ("code", code), ("state", r.State));
    }

    private static async Task<(AuthorizeRequest? Request, IResult? Result)> CheckAsync(HttpContext http, string tenant, IdentityOptions options, Dictionary<string, string> p, CancellationToken ct)
    {
        var clientId = p.GetValueOrDefault("client_id");
        var redirect = p.GetValueOrDefault("redirect_uri");
        if (string.IsNullOrEmpty(clientId) || string.IsNullOrEmpty(redirect))
        {
            return (null, LoginPage.Error("client_id and redirect_uri are required."));
        }
        var client = await http.RequestServices.GetRequiredService<IdentityStore>().GetAsync<ClientRegistration>(tenant, IdentityStore.Clients, clientId, ct).ConfigureAwait(false);
        if (client is null || !client.Value.RedirectUris.Contains(redirect))
        {
            return (null, LoginPage.Error("The client is unknown or the redirect_uri is not registered for it (exact match)."));
        }
        var state = p.GetValueOrDefault("state");
        IResult Back(string error, string description) => Redirect(redirect, ("error", error), ("error_description", description), ("state", state));
        if (p.GetValueOrDefault("response_type") != "code")
        {
            return (null, Back("unsupported_response_type", "Only response_type=code is supported."));
        }
        if (string.IsNullOrEmpty(state))
        {
            return (null, Back("invalid_request", "state is required."));
        }
        if (p.GetValueOrDefault("code_challenge_method") != "S256" || !Pkce.IsValidChallenge(p.GetValueOrDefault("code_challenge") ?? ""))
        {
            return (null, Back("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256."));
        }
        var urls = IdentityUrls.For(http.Request, options, tenant);
        if (p.GetValueOrDefault("aud") != urls.FhirBase)
        {
            return (null, Back("invalid_request", $"aud must be this server's FHIR base ({urls.FhirBase})."));
        }
        var requested = Scopes.Parse(p.GetValueOrDefault("scope"));
        if (requested.IsEmpty || (p.GetValueOrDefault("scope")?.Length ?? 0) > Scopes.MaxScopeLength)
        {
            return (null, Back("invalid_scope", "scope is required."));
        }
        var granted = Scopes.Allowed(requested, client.Value.Scopes);
        if (granted.IsEmpty)
        {
            return (null, Back("invalid_scope", "None of the requested scopes is allowed for this client."));
        }
        return (new AuthorizeRequest(client.Value, p, granted), null);
    }

    private static bool AsksPatient(AuthorizeRequest r) => r.Scopes.Contains("launch/patient");

    private static bool IsFhirId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    private static IResult Redirect(string uri, params (string Name, string? Value)[] parameters)
    {
        var query = string.Join('&', parameters.Where(p => p.Value is not null).Select(p => p.Name + "=" + Uri.EscapeDataString(p.Value!)));
        var location = uri + (uri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;
        return new RedirectResult(location);
    }

    private sealed class RedirectResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = 302;
            httpContext.Response.Headers.Location = location;
            httpContext.Response.Headers.CacheControl = "no-store";
            return Task.CompletedTask;
        }
    }
}
