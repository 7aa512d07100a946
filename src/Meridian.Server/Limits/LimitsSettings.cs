using System.Globalization;

namespace Meridian.Server.Limits;

/// <summary>
/// Abuse limits (section <c>Meridian:Limits</c>): per-client rate limiting, header and request
/// line sizes, a time limit per request, and protection against clients that send or read too
/// slowly. Durations are text (<see cref="Durations"/>). Defaults are generous enough for bulk
/// import and interactive use; tighten them at the edge of a public deployment. The body size
/// limit is <c>Meridian:MaxBodyBytes</c> (413).
/// </summary>
public sealed class LimitsSettings
{
    public RateLimitSettings RateLimit { get; set; } = new();

    /// <summary>The per-address bucket for unauthenticated requests (token endpoint, login page, refused tokens).</summary>
    public AnonymousLimitSettings Anonymous { get; set; } = new();

    /// <summary>Largest total size of the request headers (Kestrel answers 431).</summary>
    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    /// <summary>Most request headers (Kestrel answers 431).</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>Longest request line, method + target + version (Kestrel answers 414).</summary>
    public int MaxRequestLineSize { get; set; } = 8 * 1024;

    /// <summary>Time a request may take from routing to the end of the handler (then 503, OperationOutcome).</summary>
    public string RequestTimeout { get; set; } = "120s";

    /// <summary>Time a client has to send all request headers (then the connection is closed).</summary>
    public string RequestHeadersTimeout { get; set; } = "30s";

    /// <summary>Idle time before a keep-alive connection is closed.</summary>
    public string KeepAliveTimeout { get; set; } = "130s";

    /// <summary>Slowest accepted request body upload, bytes per second after <see cref="MinDataRateGracePeriod"/> (then 408 and close).</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>Slowest accepted reading of the response, bytes per second after the grace period (then the connection is closed).</summary>
    public double MinResponseBytesPerSecond { get; set; } = 240;

    public string MinDataRateGracePeriod { get; set; } = "5s";

    /// <summary>Most open connections (null: unlimited).</summary>
    public long? MaxConcurrentConnections { get; set; }

    internal TimeSpan RequestTimeoutValue => Durations.Parse(RequestTimeout);

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        const string p = "Limits:";
        if (MaxRequestHeadersTotalSize < 1024)
        {
            problems.Add(p + "MaxRequestHeadersTotalSize must be at least 1024.");
        }
        if (MaxRequestHeaderCount < 8)
        {
            problems.Add(p + "MaxRequestHeaderCount must be at least 8.");
        }
        if (MaxRequestLineSize < 256)
        {
            problems.Add(p + "MaxRequestLineSize must be at least 256.");
        }
        Durations.Check(problems, p + "RequestTimeout", RequestTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(1));
        Durations.Check(problems, p + "RequestHeadersTimeout", RequestHeadersTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Durations.Check(problems, p + "KeepAliveTimeout", KeepAliveTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        // Kestrel's MinDataRate needs a grace period above its 1-second heartbeat.
        Durations.Check(problems, p + "MinDataRateGracePeriod", MinDataRateGracePeriod, TimeSpan.FromSeconds(1.001), TimeSpan.FromHours(1));
        if (MinRequestBodyBytesPerSecond <= 0 || MinResponseBytesPerSecond <= 0)
        {
            problems.Add(p + "MinRequestBodyBytesPerSecond and MinResponseBytesPerSecond must be positive.");
        }
        if (MaxConcurrentConnections is < 1)
        {
            problems.Add(p + "MaxConcurrentConnections must be at least 1 when set.");
        }
        problems.AddRange(RateLimit.Problems());
        problems.AddRange(Anonymous.Problems());
        return problems;
    }
}

/// <summary>
/// A token bucket per client (section <c>Meridian:Limits:RateLimit</c>): each request takes a
/// token; <see cref="TokensPerPeriod"/> come back every <see cref="ReplenishmentPeriod"/>, up
/// to <see cref="TokenLimit"/> (the burst). Clients are the authenticated client id, else the
/// remote IP address. Beyond the bucket (and the queue): 429 with Retry-After.
/// </summary>
public sealed class RateLimitSettings
{
    public bool Enabled { get; set; } = true;

    public int TokenLimit { get; set; } = 2000;

    public int TokensPerPeriod { get; set; } = 1000;

    public string ReplenishmentPeriod { get; set; } = "1s";

    /// <summary>Requests that wait for a token instead of being refused at once.</summary>
    public int QueueLimit { get; set; }

    internal TimeSpan ReplenishmentPeriodValue => Durations.Parse(ReplenishmentPeriod);

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (TokenLimit < 1 || TokensPerPeriod < 1 || TokensPerPeriod > TokenLimit)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"Limits:RateLimit needs 1 <= TokensPerPeriod <= TokenLimit (got {TokensPerPeriod} and {TokenLimit})."));
        }
        if (QueueLimit < 0)
        {
            problems.Add("Limits:RateLimit:QueueLimit must not be negative.");
        }
        Durations.Check(problems, "Limits:RateLimit:ReplenishmentPeriod", ReplenishmentPeriod, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        return problems;
    }
}
