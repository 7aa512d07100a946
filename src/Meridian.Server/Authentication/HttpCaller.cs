using Meridian.Api;
using Meridian.Identity;
using Microsoft.AspNetCore.Http;

namespace Meridian.Server.Authentication;

/// <summary>The authenticated caller of one HTTP request, set by <see cref="BearerAuthenticationMiddleware"/>.</summary>
internal sealed record CallerFeature(Caller Caller);

/// <summary>The <see cref="Caller"/> a FHIR request carries: the token's, the dev caller, or anonymous.</summary>
public static class HttpCaller
{
    public static Caller For(HttpContext http, bool insecureDev)
    {
        ArgumentNullException.ThrowIfNull(http);
        var caller = http.Features.Get<CallerFeature>()?.Caller ?? (insecureDev ? Caller.InsecureDev : Caller.Anonymous);
        return caller with
        {
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
            UserAgent = http.Request.Headers.UserAgent.Count == 0 ? null : http.Request.Headers.UserAgent.ToString(),
        };
    }

    internal static Caller From(AuthenticatedPrincipal p) => new()
    {
        ClientId = p.ClientId,
        UserId = p.UserId,
        FhirUser = p.FhirUser,
        Roles = p.Roles,
        Scopes = p.Scopes,
        PatientContext = p.PatientContext,
        TokenTenant = p.Tenant,
        TokenId = p.TokenId,
        Session = p.Session,
    };
}
