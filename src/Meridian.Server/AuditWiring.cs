using Meridian.Api;
using Meridian.Audit;
using Meridian.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Server;

/// <summary>
/// Audit is always on: the store chains AuditEvents and lets <see cref="AuditContributor"/> add
/// them to write transactions; the API sees the store through <see cref="AuditingStore"/>; every
/// FHIR request runs through <see cref="FhirAuditInterceptor"/> (resolved by FhirEndpoints as an
/// <see cref="IFhirInterceptor"/>).
/// </summary>
public static class AuditWiring
{
    public static StoreOptions StoreOptions(TimeProvider clock) => new()
    {
        Clock = clock,
        Contributors = [new AuditContributor(clock)],
        ChainedTypes = AuditTypes.Chained,
        DeferredIndexTypes = AuditTypes.DeferredIndex,
    };

    /// <summary>Registers the appender and interceptor; returns the store the API must use.</summary>
    public static IFhirStore AddMeridianAudit(this IServiceCollection services, IFhirStore store, TimeProvider clock)
    {
        // Resolving the appender resolves the store first, so at shutdown the container disposes
        // the appender (draining queued records) before the store.
        services.AddSingleton(sp => new AuditAppender(sp.GetRequiredService<IFhirStore>()));
        services.AddSingleton(sp => new FhirAuditInterceptor(sp.GetRequiredService<AuditAppender>(), clock));
        services.AddSingleton<IFhirInterceptor>(sp => sp.GetRequiredService<FhirAuditInterceptor>());
        services.AddSingleton<Retention.IRetentionObserver>(sp => new Retention.RetentionAuditObserver(sp.GetRequiredService<AuditAppender>(), clock));
        return new AuditingStore(store);
    }
}

/// <summary>
/// The hook for requests refused before they reach <see cref="FhirApi"/> (authentication
/// failures answered with 401, bodies over the limit, unknown tenants): call
/// <see cref="AuditAsync"/> with the refusal before sending it, so it is on record too.
/// </summary>
public static class RefusedRequestAudit
{
    /// <returns>The response to send: the refusal, or a 500 if it could not be audited.</returns>
    public static async Task<FhirResponse> AuditAsync(HttpContext http, string tenant, string basePath, FhirResponse refusal, Caller? caller = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(refusal);
        var auditor = http.RequestServices.GetService<FhirAuditInterceptor>();
        if (auditor is null)
        {
            return refusal;
        }
        var path = http.Request.Path.Value ?? "";
        path = path.StartsWith(basePath, StringComparison.Ordinal) ? path[basePath.Length..].TrimStart('/') : path.TrimStart('/');
        var request = new FhirRequest(http.Request.Method, path)
        {
            Tenant = tenant,
            Caller = HttpCallers.WithConnection(caller ?? Caller.Anonymous, http),
        };
        return await auditor.RecordRefusedAsync(request, refusal, http.RequestAborted).ConfigureAwait(false)
            ? refusal
            : FhirResponse.Error(500, "exception", "The request could not be audited.");
    }
}

/// <summary>Adds what only the HTTP host knows about a caller: the peer address and user agent.</summary>
public static class HttpCallers
{
    public static Caller WithConnection(Caller caller, HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(http);
        return caller with
        {
            RemoteAddress = caller.RemoteAddress ?? http.Connection.RemoteIpAddress?.ToString(),
            UserAgent = caller.UserAgent ?? (http.Request.Headers.UserAgent.Count > 0 ? http.Request.Headers.UserAgent.ToString() : null),
        };
    }
}
