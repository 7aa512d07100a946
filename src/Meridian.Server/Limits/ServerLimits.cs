using System.Globalization;
using System.Threading.RateLimiting;
using Meridian.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Server.Limits;

/// <summary>
/// Wires <see cref="LimitsSettings"/> into the host: Kestrel's connection and header limits,
/// the ASP.NET Core rate limiter (a token bucket per <see cref="ClientPartition"/>) and request
/// timeouts, the request-shape check (414, 431) and the anonymous per-address bucket. Refusals
/// the application writes (408, 413, 414, 429, 431, 503) carry an OperationOutcome; Kestrel's
/// own (beyond its backstop limits, header timeouts) have no body.
/// </summary>
public static class ServerLimits
{
    private const string FhirJson = "application/fhir+json; charset=utf-8";

    /// <summary>Registers the limits; call before <c>Build()</c> with validated settings.</summary>
    public static WebApplicationBuilder AddMeridianLimits(this WebApplicationBuilder builder, LimitsSettings limits)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(limits);
        builder.WebHost.ConfigureKestrel(k => ConfigureKestrel(k.Limits, limits));
        builder.Services.AddSingleton(sp => new LimitMetrics(sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        builder.Services.AddSingleton(sp => new AnonymousRateLimiter(limits.Anonymous, sp.GetRequiredService<LimitMetrics>()));
        if (limits.RateLimit.Enabled)
        {
            builder.Services.AddRateLimiter(o => ConfigureRateLimiter(o, limits.RateLimit));
        }
        builder.Services.AddRequestTimeouts(o => o.DefaultPolicy = new RequestTimeoutPolicy
        {
            Timeout = limits.RequestTimeoutValue,
            TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
            WriteTimeoutResponse = http => WriteOutcomeAsync(http, StatusCodes.Status503ServiceUnavailable, "timeout",
                $"The request took longer than {limits.RequestTimeout} and was stopped; nothing it had not committed was kept.", CancellationToken.None),
        });
        return builder;
    }

    /// <summary>Refuses oversized request lines and headers with an OperationOutcome (414, 431);
    /// call first after <c>Build()</c>, before anything else reads the request.</summary>
    public static WebApplication UseMeridianRequestShapeLimits(this WebApplication app, LimitsSettings limits)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(limits);
        app.UseMiddleware<RequestShapeMiddleware>(limits);
        return app;
    }

    /// <summary>Adds the middleware; call after <c>Build()</c>, before the endpoints are mapped.</summary>
    public static WebApplication UseMeridianLimits(this WebApplication app, LimitsSettings limits)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.RateLimit.Enabled)
        {
            app.UseRateLimiter();
        }
        app.UseRequestTimeouts();
        return app;
    }

    internal static void ConfigureKestrel(KestrelServerLimits k, LimitsSettings limits)
    {
        // A little above the configured limits: RequestShapeMiddleware answers between the two
        // (with an OperationOutcome); Kestrel's bare refusal only beyond.
        k.MaxRequestHeadersTotalSize = RequestShapeMiddleware.Backstop(limits.MaxRequestHeadersTotalSize, 1024);
        k.MaxRequestHeaderCount = RequestShapeMiddleware.Backstop(limits.MaxRequestHeaderCount, 8);
        k.MaxRequestLineSize = RequestShapeMiddleware.Backstop(limits.MaxRequestLineSize, 1024);
        k.RequestHeadersTimeout = Durations.Parse(limits.RequestHeadersTimeout);
        k.KeepAliveTimeout = Durations.Parse(limits.KeepAliveTimeout);
        var grace = Durations.Parse(limits.MinDataRateGracePeriod);
        k.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, grace);
        k.MinResponseDataRate = new MinDataRate(limits.MinResponseBytesPerSecond, grace);
        k.MaxConcurrentConnections = limits.MaxConcurrentConnections;
        k.MaxConcurrentUpgradedConnections = limits.MaxConcurrentConnections;
    }

    private static void ConfigureRateLimiter(RateLimiterOptions o, RateLimitSettings rate)
    {
        var period = rate.ReplenishmentPeriodValue;
        o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            RateLimitPartition.GetTokenBucketLimiter(ClientPartition.Of(http), _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = rate.TokenLimit,
                TokensPerPeriod = rate.TokensPerPeriod,
                ReplenishmentPeriod = period,
                QueueLimit = rate.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            }));
        o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        o.OnRejected = (context, ct) =>
        {
            // The bucket knows when the next token arrives; a whole number of seconds, at least 1.
            var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : period;
            var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
            context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            context.HttpContext.RequestServices.GetService<LimitMetrics>()?.Refused("client");
            return new ValueTask(WriteOutcomeAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "throttled",
                $"Too many requests from this client; retry after {seconds} s.", ct));
        };
    }

    internal static async Task WriteOutcomeAsync(HttpContext http, int status, string code, string message, CancellationToken ct)
    {
        if (http.Response.HasStarted)
        {
            return;
        }
        var body = FhirResponse.Error(status, code, message).Body;
        http.Response.StatusCode = status;
        http.Response.ContentType = FhirJson;
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body, ct).ConfigureAwait(false);
    }
}
