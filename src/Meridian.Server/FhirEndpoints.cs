using Meridian.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meridian.Server;

/// <summary>
/// The HTTP face of <see cref="FhirApi"/>: <c>/fhir/…</c> (tenant <c>default</c>) and
/// <c>/t/{tenant}/fhir/…</c>. One static handler translates the HTTP request to a
/// <see cref="FhirRequest"/> and the <see cref="FhirResponse"/> back; everything FHIR lives
/// behind it, so audit (an endpoint filter) and auth can later wrap these groups.
/// </summary>
public static class FhirEndpoints
{
    private static readonly string[] s_methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

    /// <param name="configure">Applied to both route groups: where later layers attach
    /// endpoint filters (audit) and authorization, without touching the handler.</param>
    public static IEndpointRouteBuilder MapFhir(this IEndpointRouteBuilder app, Action<RouteGroupBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var single = app.MapGroup("/fhir");
        single.MapMethods("/{**path}", s_methods, HandleDefaultAsync);
        var tenants = app.MapGroup("/t/{tenant}/fhir");
        tenants.MapMethods("/{**path}", s_methods, HandleTenantAsync);
        configure?.Invoke(single);
        configure?.Invoke(tenants);
        return app;
    }

    private static Task<IResult> HandleDefaultAsync(HttpContext http, string? path, FhirApi api, IOptions<MeridianServerOptions> options, CancellationToken ct) =>
        HandleAsync(http, FhirApi.DefaultTenant, "/fhir", path, api, options.Value, ct);

    private static Task<IResult> HandleTenantAsync(HttpContext http, string tenant, string? path, FhirApi api, IOptions<MeridianServerOptions> options, CancellationToken ct) =>
        IsTenantName(tenant)
            ? HandleAsync(http, tenant, $"/t/{tenant}/fhir", path, api, options.Value, ct)
            : RefusedAsync(http, FhirApi.DefaultTenant, $"/t/{tenant}/fhir", FhirResponse.Error(404, "not-found", $"'{tenant}' is not a tenant name."));

    private static async Task<IResult> RefusedAsync(HttpContext http, string tenant, string basePath, FhirResponse refusal) =>
        new FhirHttpResult(await RefusedRequestAudit.AuditAsync(http, tenant, basePath, refusal).ConfigureAwait(false));

    /// <summary>Tenant names are URL- and log-safe: letters, digits, '-' and '_', at most 64.</summary>
    internal static bool IsTenantName(string tenant)
    {
        if (tenant.Length is 0 or > 64)
        {
            return false;
        }
        foreach (var c in tenant)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A clinician's break-the-glass reason (header <c>X-Meridian-Break-Glass</c>), for authorization and audit.</summary>
    internal static Caller WithBreakGlass(Caller caller, HttpRequest http)
    {
        var reason = http.Headers[Meridian.Api.Authorization.BreakGlass.Header].ToString().Trim();
        return reason.Length == 0 ? caller : caller with { BreakGlassReason = reason.Length > 1024 ? reason[..1024] : reason };
    }

    private static async Task<IResult> HandleAsync(HttpContext http, string tenant, string basePath, string? path, FhirApi api, MeridianServerOptions options, CancellationToken ct)
    {
        ReadOnlyMemory<byte>? body;
        try
        {
            body = await HttpBody.ReadAsync(http.Request, options.MaxBodyBytes, ct).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status408RequestTimeout)
        {
            // Kestrel's MinRequestBodyDataRate tripped (Limits:MinRequestBodyBytesPerSecond): a
            // client uploading too slowly to hold a connection. Answered here so it is FHIR and audited.
            return await RefusedAsync(http, tenant, basePath, FhirResponse.Error(408, "timeout",
                $"The request body arrived slower than {options.Limits.MinRequestBodyBytesPerSecond} bytes/s (Limits:MinRequestBodyBytesPerSecond); the connection is closed.")).ConfigureAwait(false);
        }
        if (body is null)
        {
            return await RefusedAsync(http, tenant, basePath, FhirResponse.Error(413, "too-costly", $"The request body exceeds {options.MaxBodyBytes} bytes.")).ConfigureAwait(false);
        }
        var request = HttpTranslation.ToFhirRequest(http.Request, tenant, basePath, path ?? "", body.Value) with
        {
            // The bearer token's caller (BearerAuthenticationMiddleware), or the dev caller under
            // --insecure-dev; a clinician may add a break-the-glass reason.
            Caller = WithBreakGlass(Authentication.HttpCaller.For(http, options.InsecureDev), http.Request),
            // The request's W3C trace id lands on every change row it writes, so every event carries it.
            WriteOptions = new Meridian.Storage.TransactOptions(Events.TraceIds.For(http)),
        };
        var interceptors = http.RequestServices.GetServices<IFhirInterceptor>().ToList();
        try
        {
            return new FhirHttpResult(await FhirInterceptors.RunAsync(interceptors, request, api.HandleAsync, ct).ConfigureAwait(false));
        }
        catch (Meridian.Storage.DeferredIndexTimeoutException ex)
        {
            // Without the interceptor (a host that registers its own): still transient, not a fault.
            return new FhirHttpResult(StoreBusyInterceptor.Unavailable(ex));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug or an unreachable database: still answer FHIR, and leave the details to the log.
            ServerLog.RequestFailed(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Meridian.Server"), ex, request.Method, request.Path);
            return new FhirHttpResult(FhirResponse.Error(500, "exception", "The server failed to process the request; see the server log."));
        }
    }
}
