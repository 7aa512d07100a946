using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Meridian.Server.Limits;

/// <summary>
/// The per-address bucket of <see cref="AnonymousLimitSettings"/>. The authentication
/// middleware asks it before serving an anonymous endpoint and before answering a refused
/// token, so the flood's cost stops at one dictionary lookup per request. Refusals are not
/// audited one by one: writing a record per flooded request is the very cost being cut off.
/// </summary>
public sealed class AnonymousRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly TimeSpan _period;
    private readonly LimitMetrics? _metrics;

    public AnonymousRateLimiter(AnonymousLimitSettings settings, LimitMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _metrics = metrics;
        _period = settings.ReplenishmentPeriodValue;
        if (settings.Enabled)
        {
            _limiter = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.TokenLimit,
                TokensPerPeriod = settings.TokensPerPeriod,
                ReplenishmentPeriod = _period,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        }
    }

    /// <summary>Takes a token from the caller's address; false (and the wait) when there is none.</summary>
    public bool TryAdmit(HttpContext http, out TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(http);
        retryAfter = TimeSpan.Zero;
        if (_limiter is null)
        {
            return true;
        }
        using var lease = _limiter.AttemptAcquire(http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (lease.IsAcquired)
        {
            return true;
        }
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : _period;
        _metrics?.Refused("anonymous");
        return false;
    }

    /// <summary>Answers 429 with Retry-After (whole seconds, at least 1) and an OperationOutcome.</summary>
    public static Task ThrottleAsync(HttpContext http, TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(http);
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ServerLimits.WriteOutcomeAsync(http, StatusCodes.Status429TooManyRequests, "throttled",
            $"Too many unauthenticated requests from this address; retry after {seconds} s.", http.RequestAborted);
    }

    public void Dispose() => _limiter?.Dispose();
}
