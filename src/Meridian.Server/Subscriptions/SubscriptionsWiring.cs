using Meridian.Api;
using Meridian.Events;
using Meridian.Storage;
using Meridian.Subscriptions;
using Meridian.Subscriptions.Clinical;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Meridian.Server.Subscriptions;

/// <summary>
/// Hosts FHIR Subscriptions: one <see cref="SubscriptionModule"/> over the server's store and
/// API; its consumer on the event backbone, its interceptor on every FHIR request (registered
/// after audit, so audit wraps the subscription operations too), its delivery service for the
/// server's lifetime, and the websocket endpoint <c>/ws/subscriptions</c>
/// (<c>/t/{tenant}/ws/subscriptions</c>) behind the same bearer authentication as FHIR.
/// </summary>
public static class SubscriptionsWiring
{
    public static IServiceCollection AddMeridianSubscriptions(this IServiceCollection services, SubscriptionsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.Enabled)
        {
            return services;
        }
        services.AddSingleton(sp => new SubscriptionModule(sp.GetRequiredService<IFhirStore>(), sp.GetRequiredService<FhirApi>().HandleAsync, settings.ToOptions(),
            writeApi: Audited(sp), revocation: Revocation(sp), rightsCheckInterval: Meridian.Server.Limits.Durations.Parse(settings.RightsCheckInterval)));
        services.AddSingleton<IEventConsumer>(sp => sp.GetRequiredService<SubscriptionModule>().Consumer);
        if (settings.ClinicalAlerts)
        {
            services.AddSingleton<IEventConsumer>(sp => new CriticalResultConsumer(sp.GetRequiredService<IFhirStore>(), Audited(sp)));
            if (!string.IsNullOrWhiteSpace(settings.AlertTestDoubleFile))
            {
                // TEST DOUBLE: writes what an email/SMS gateway would send to a file (docs/subscriptions.md).
                services.AddSingleton(new FileAlertChannel("test-double", settings.AlertTestDoubleFile));
                services.AddSingleton<IEventConsumer>(sp => new AlertDispatchConsumer(sp.GetRequiredService<IFhirStore>(), [sp.GetRequiredService<FileAlertChannel>()]));
            }
        }
        services.AddSingleton<IFhirInterceptor>(sp => sp.GetRequiredService<SubscriptionModule>().Interceptor);
        services.AddHostedService<DeliveryService>();
        return services;
    }

    /// <summary>The API behind the registered interceptors (audit first), resolved per call: the
    /// subscription service's own writes are audited like any other write.</summary>
    private static Func<FhirRequest, CancellationToken, Task<FhirResponse>> Audited(IServiceProvider sp) =>
        (request, ct) => FhirInterceptors.RunAsync(sp.GetServices<IFhirInterceptor>().ToList(), request, sp.GetRequiredService<FhirApi>().HandleAsync, ct);

    public static IEndpointRouteBuilder MapMeridianSubscriptions(this WebApplication app, MeridianServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Subscriptions.Enabled)
        {
            return app;
        }
        app.UseWebSockets();
        app.MapGet("/ws/subscriptions", (HttpContext http, SubscriptionModule module, FhirApi api, IOptions<MeridianServerOptions> o) =>
            ServeAsync(http, FhirApi.DefaultTenant, module, api, o.Value));
        app.MapGet("/t/{tenant}/ws/subscriptions", (HttpContext http, string tenant, SubscriptionModule module, FhirApi api, IOptions<MeridianServerOptions> o) =>
            FhirEndpoints.IsTenantName(tenant) ? ServeAsync(http, tenant, module, api, o.Value) : Task.FromResult(Results.NotFound()));
        return app;
    }

    private static async Task<IResult> ServeAsync(HttpContext http, string tenant, SubscriptionModule module, FhirApi api, MeridianServerOptions options)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return Results.BadRequest("A websocket upgrade is expected (R4 websocket channel: bind-with-id).");
        }
        var caller = Authentication.HttpCaller.For(http, options.InsecureDev);
        var interceptors = http.RequestServices.GetServices<IFhirInterceptor>().ToList();
        using var socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        // Binding reads the Subscription as the caller through the interceptors, so it is authorized and audited.
        await module.ServeWebSocketAsync(socket, tenant, caller, http.RequestAborted,
            (r, ct) => FhirInterceptors.RunAsync(interceptors, r, api.HandleAsync, ct)).ConfigureAwait(false);
        return Results.Empty;
    }

    /// <summary>Creators' rights are re-checked only against the built-in identity server (an external issuer's clients are unknown here).</summary>
    private static CreatorRevocation? Revocation(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<MeridianServerOptions>>().Value;
        return options.InsecureDev || options.Identity.Mode != "builtin"
            || sp.GetRequiredService<IFhirStore>().Find<Meridian.Storage.Records.ISystemRecordStore>() is not { } records
            ? null : IdentityRevocationCheck.For(records);
    }

    private sealed class DeliveryService(SubscriptionModule module) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            module.RightsMonitor?.Start();
            return module.Delivery.StartAsync(cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => module.Delivery.DisposeAsync().AsTask(); // the container disposes the rest
    }
}
