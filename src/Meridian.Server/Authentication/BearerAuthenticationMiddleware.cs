using Meridian.Api;
using Meridian.Identity;
using Meridian.Identity.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meridian.Server.Authentication;

/// <summary>
/// Deny by default: every request needs a valid bearer token unless its endpoint is marked
/// anonymous (<c>AllowAnonymous()</c>: the authorization server's own endpoints, JWKS,
/// smart-configuration) or it reads the CapabilityStatement (<c>GET [base]/metadata</c>).
/// Requests that match no endpoint need a token too, so a route added later is never open by
/// accident. Failures answer 401 with <c>WWW-Authenticate: Bearer</c> (RFC 6750 §3) and an
/// OperationOutcome. With <c>--insecure-dev</c> nothing is checked.
/// </summary>
internal sealed class BearerAuthenticationMiddleware(RequestDelegate next, IBearerTokenValidator validator, IdentityOptions options, Limits.AnonymousRateLimiter anonymous)
{
    public const string Realm = "meridian";

    public Task InvokeAsync(HttpContext http)
    {
        // Unauthenticated traffic spends its address's bucket first (Limits:Anonymous): the
        // token endpoint, login page and discovery, and every refusal below — so a flood of
        // guesses or bad tokens is cut off before password hashing or an audit write per request.
        if (IsOpen(http))
        {
            return anonymous.TryAdmit(http, out var wait) ? next(http) : Limits.AnonymousRateLimiter.ThrottleAsync(http, wait);
        }
        var header = http.Request.Headers.Authorization;
        if (header.Count == 0)
        {
            // No credentials: no error code (RFC 6750 §3.1), just the challenge.
            return RefuseAsync(http, null, "The request needs a bearer token (Authorization: Bearer ...).");
        }
        var value = header.Count == 1 ? header[0] ?? "" : "";
        if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || value.Length <= 7)
        {
            return RefuseAsync(http, "invalid_request", "The Authorization header must be one 'Bearer' token.");
        }
        var tenant = http.Request.RouteValues.TryGetValue("tenant", out var t) && t is string s ? s : IdentityUrls.DefaultTenant;
        var result = validator.Validate(value[7..].Trim(), IdentityUrls.For(http.Request, options, tenant));
        if (!result.IsSuccess)
        {
            return RefuseAsync(http, result.Error!.Code, result.Error.Description);
        }
        var caller = HttpCaller.From(result.Value);
        http.Features.Set(new CallerFeature(caller));
        // The rate limiter spends the verified client's bucket, not the IP's.
        http.Items[Limits.ClientPartition.ClientIdItem] = caller.ClientId;
        return next(http);
    }

    private Task RefuseAsync(HttpContext http, string? error, string description) =>
        anonymous.TryAdmit(http, out var wait) ? ChallengeAsync(http, error, description) : Limits.AnonymousRateLimiter.ThrottleAsync(http, wait);

    private static bool IsOpen(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint is null)
        {
            return false;
        }
        if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            return true;
        }
        // The CapabilityStatement is discovery: clients read it before they have a token.
        return (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
            && endpoint is RouteEndpoint { RoutePattern.RawText: { } pattern }
            && pattern.EndsWith("fhir/{**path}", StringComparison.Ordinal)
            && http.Request.RouteValues.TryGetValue("path", out var p) && p is "metadata";
    }

    private static async Task ChallengeAsync(HttpContext http, string? error, string description)
    {
        var challenge = $"Bearer realm=\"{Realm}\"";
        if (error is not null)
        {
            challenge += $", error=\"{error}\", error_description=\"{description.Replace("\"", "'", StringComparison.Ordinal)}\"";
        }
        http.Response.Headers.WWWAuthenticate = challenge;
        http.Response.Headers.CacheControl = "no-store";
        var status = error == "invalid_request" ? 400 : 401;
        var refusal = FhirResponse.Error(status, status == 401 ? "login" : "invalid", description);
        // A refused request is an interaction too: it goes on the audit trail (of the tenant it
        // addressed, when that is a well-formed tenant name) before the client hears about it.
        var tenant = http.Request.RouteValues.TryGetValue("tenant", out var t) && t is string s && FhirEndpoints.IsTenantName(s) ? s : null;
        var audited = await RefusedRequestAudit.AuditAsync(http, tenant ?? FhirApi.DefaultTenant, tenant is null ? "/fhir" : $"/t/{tenant}/fhir", refusal).ConfigureAwait(false);
        await new FhirHttpResult(audited).ExecuteAsync(http).ConfigureAwait(false);
    }
}
