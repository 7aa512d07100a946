using Meridian.Server.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meridian.Server.Metrics;

/// <summary><c>GET /metrics</c>: every <c>Meridian.*</c> meter in the Prometheus text format.</summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IServiceCollection AddMeridianMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton(sp => new PrometheusCollector(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        return services;
    }

    public static IEndpointRouteBuilder MapMeridianMetrics(this IEndpointRouteBuilder app, MeridianServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Metrics;
        if (!settings.Enabled)
        {
            return app;
        }
        // Created now, not at the first scrape: counters must listen from the start.
        var collector = app.ServiceProvider.GetRequiredService<PrometheusCollector>();
        var route = app.MapGet(Path, (HttpContext http) => Serve(http, collector, options));
        if (settings.Anonymous)
        {
            route.AllowAnonymous();
        }
        return app;
    }

    private static IResult Serve(HttpContext http, PrometheusCollector collector, MeridianServerOptions options)
    {
        if (!options.Metrics.Anonymous && !options.InsecureDev)
        {
            var caller = HttpCaller.For(http, insecureDev: false);
            var allowed = options.Metrics.RoleList;
            if (!caller.Roles.Any(r => allowed.Contains(r, StringComparer.Ordinal)))
            {
                return Results.Text("metrics need a caller with role " + string.Join(" or ", allowed) + "\n", "text/plain", statusCode: 403);
            }
        }
        http.Response.Headers.CacheControl = "no-store";
        return Results.Text(collector.Scrape(), PrometheusText.ContentType);
    }
}
