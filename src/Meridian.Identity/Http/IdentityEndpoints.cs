using Meridian.Identity.Tokens;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meridian.Identity.Http;

/// <summary>
/// Maps the authorization server per tenant: <c>/auth/…</c> for <c>default</c>,
/// <c>/t/{tenant}/auth/…</c> otherwise, and smart-configuration under each FHIR base. All are
/// anonymous endpoints (the bearer middleware lets them through); token and introspection
/// authenticate the client themselves.
/// </summary>
public static class IdentityEndpoints
{
    public static IEndpointRouteBuilder MapIdentityEndpoints(this IEndpointRouteBuilder app, IdentityOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        app.MapGet("/fhir/.well-known/smart-configuration", (HttpContext http) => DiscoveryEndpoints.SmartConfiguration(http, IdentityUrls.DefaultTenant, options)).AllowAnonymous();
        app.MapGet("/t/{tenant}/fhir/.well-known/smart-configuration", (HttpContext http, string tenant) =>
            IsTenantName(tenant) ? DiscoveryEndpoints.SmartConfiguration(http, tenant, options) : NotFound()).AllowAnonymous();
        if (options.Mode != "builtin")
        {
            return app;
        }
        Map(app.MapGroup("/auth"), _ => IdentityUrls.DefaultTenant, options);
        Map(app.MapGroup("/t/{tenant}/auth"), http => http.Request.RouteValues["tenant"] as string ?? "", options);
        return app;
    }

    private static void Map(RouteGroupBuilder group, Func<HttpContext, string> tenantOf, IdentityOptions options)
    {
        group.MapGet("/jwks", (Func<HttpContext, Task<IResult>>)(http => Guard(http, tenantOf, _ => Task.FromResult(DiscoveryEndpoints.Jwks(http)))));
        group.MapPost("/token", (HttpContext http, CancellationToken ct) => Guard(http, tenantOf, t => TokenEndpoint.TokenAsync(http, t, options, ct)));
        group.MapPost("/introspect", (HttpContext http, CancellationToken ct) => Guard(http, tenantOf, t => TokenEndpoint.IntrospectAsync(http, t, options, ct)));
        group.MapGet("/authorize", (HttpContext http, CancellationToken ct) => Guard(http, tenantOf, t => AuthorizeEndpoint.GetAsync(http, t, options, ct)));
        group.MapPost("/authorize", (HttpContext http, CancellationToken ct) => Guard(http, tenantOf, t => AuthorizeEndpoint.PostAsync(http, t, options, ct)));
        group.AllowAnonymous();
    }

    private static Task<IResult> Guard(HttpContext http, Func<HttpContext, string> tenantOf, Func<string, Task<IResult>> handler)
    {
        var tenant = tenantOf(http);
        return IsTenantName(tenant) ? handler(tenant) : Task.FromResult(NotFound());
    }

    private static IResult NotFound() => OAuthResults.Error("invalid_request", "Not a tenant name.", 404);

    /// <summary>Same rule as the FHIR routes: letters, digits, '-' and '_', at most 64.</summary>
    public static bool IsTenantName(string tenant) =>
        tenant.Length is > 0 and <= 64 && tenant.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
