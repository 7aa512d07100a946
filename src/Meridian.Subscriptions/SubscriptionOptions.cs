namespace Meridian.Subscriptions;

/// <summary>
/// How subscriptions are delivered. The defaults retry a failing endpoint for a whole day
/// (HAPI gives up after about a minute): a notification is dead-lettered only after
/// <see cref="RetryBudget"/>, and even then an operator can replay it.
/// </summary>
public sealed record SubscriptionOptions
{
    /// <summary>How long one notification is retried, counted from when it was queued.</summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromHours(24);

    /// <summary>First retry delay; doubles per attempt up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>One HTTP delivery attempt may take this long before it counts as failed.</summary>
    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Deliveries in flight to one endpoint (scheme, host, port) at a time.</summary>
    public int MaxConcurrencyPerEndpoint { get; init; } = 4;

    /// <summary>How often the scheduler looks for due work when nobody signals it.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Circuit breaker per endpoint: open after this failure ratio over <see cref="BreakerSamplingDuration"/>
    /// (with at least <see cref="BreakerMinimumThroughput"/> attempts), for <see cref="BreakerBreakDuration"/>.</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    public int BreakerMinimumThroughput { get; init; } = 4;

    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan BreakerBreakDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Delivered notifications stay this long so <c>$events</c> can return missed events.</summary>
    public TimeSpan EventRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Notifications sent per subscription in one pass before the scheduler looks at others.</summary>
    public int BatchPerPass { get; init; } = 50;

    /// <summary>Backport: at most this many pending events of one subscription go out together in one
    /// notification Bundle (consecutive event numbers); 1 sends one Bundle per event.</summary>
    public int MaxEventsPerNotification { get; init; } = 20;

    /// <summary>Where this server's FHIR base is, for fullUrls in notification Bundles (a tenant adds <c>/t/{tenant}</c>).</summary>
    public string PublicBaseUrl { get; init; } = "http://localhost";

    public static SubscriptionOptions Default { get; } = new();

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (RetryBudget <= TimeSpan.Zero)
        {
            problems.Add("Subscriptions:RetryBudget must be positive.");
        }
        if (InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff)
        {
            problems.Add("Subscriptions:InitialBackoff must be positive and at most MaxBackoff.");
        }
        if (DeliveryTimeout <= TimeSpan.Zero)
        {
            problems.Add("Subscriptions:DeliveryTimeout must be positive.");
        }
        if (MaxConcurrencyPerEndpoint < 1 || BatchPerPass < 1 || MaxEventsPerNotification < 1)
        {
            problems.Add("Subscriptions:MaxConcurrencyPerEndpoint, BatchPerPass and MaxEventsPerNotification must be at least 1.");
        }
        if (BreakerFailureRatio is <= 0 or > 1 || BreakerMinimumThroughput < 2 || BreakerBreakDuration < TimeSpan.FromMilliseconds(500) || BreakerSamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            problems.Add("Subscriptions: breaker ratio in (0,1], minimum throughput >= 2, durations >= 0.5 s (Polly's limits).");
        }
        return problems;
    }
}
