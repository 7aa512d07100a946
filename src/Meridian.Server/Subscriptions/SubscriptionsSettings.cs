using Meridian.Server.Limits;
using Meridian.Subscriptions;

namespace Meridian.Server.Subscriptions;

/// <summary>FHIR Subscriptions delivery (section <c>Meridian:Subscriptions</c>, docs/subscriptions.md).
/// Durations as text (<c>24h</c>, <c>1s</c>), checked at start.</summary>
public sealed class SubscriptionsSettings
{
    public bool Enabled { get; set; } = true;

    /// <summary>How long a notification is retried before it becomes a dead letter (hours, not a minute).</summary>
    public string RetryBudget { get; set; } = "24h";

    public string InitialBackoff { get; set; } = "1s";

    public string MaxBackoff { get; set; } = "5m";

    /// <summary>One delivery attempt's time limit.</summary>
    public string DeliveryTimeout { get; set; } = "10s";

    public int MaxConcurrencyPerEndpoint { get; set; } = 4;

    /// <summary>Backport: most events one notification Bundle carries when several are pending.</summary>
    public int MaxEventsPerNotification { get; set; } = 20;

    public string BreakerBreakDuration { get; set; } = "15s";

    /// <summary>How long delivered notifications stay available to <c>$events</c>.</summary>
    public string EventRetention { get; set; } = "7d";

    /// <summary>The server's public address for fullUrls in notifications (<c>https://fhir.example.org</c>).</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost";

    /// <summary>Clinical notifications: critical results (HH/LL/AA) become alert Communications to the care team.</summary>
    public bool ClinicalAlerts { get; set; } = true;

    /// <summary>TEST DOUBLE for the email/SMS adapters: when set, alerts are appended to this file
    /// instead of being sent (no real gateway is built in).</summary>
    public string? AlertTestDoubleFile { get; set; }

    /// <summary>How often subscription creators' rights are re-checked against the built-in
    /// identity server (client still registered, user not disabled); a revoked creator's
    /// subscriptions go <c>off</c> with the reason.</summary>
    public string RightsCheckInterval { get; set; } = "30s";

    public IEnumerable<string> Problems()
    {
        var problems = new List<string>();
        Durations.Check(problems, "Subscriptions:RightsCheckInterval", RightsCheckInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
        Durations.Check(problems, "Subscriptions:RetryBudget", RetryBudget, TimeSpan.FromSeconds(1), TimeSpan.FromDays(365));
        Durations.Check(problems, "Subscriptions:InitialBackoff", InitialBackoff, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Durations.Check(problems, "Subscriptions:MaxBackoff", MaxBackoff, TimeSpan.FromMilliseconds(10), TimeSpan.FromDays(1));
        Durations.Check(problems, "Subscriptions:DeliveryTimeout", DeliveryTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        Durations.Check(problems, "Subscriptions:BreakerBreakDuration", BreakerBreakDuration, TimeSpan.FromMilliseconds(500), TimeSpan.FromDays(1));
        Durations.Check(problems, "Subscriptions:EventRetention", EventRetention, TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650));
        if (MaxEventsPerNotification is < 1 or > 1000)
        {
            problems.Add("Subscriptions:MaxEventsPerNotification must be between 1 and 1000.");
        }
        if (MaxConcurrencyPerEndpoint is < 1 or > 1000)
        {
            problems.Add("Subscriptions:MaxConcurrencyPerEndpoint must be between 1 and 1000.");
        }
        if (!Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
        {
            problems.Add($"Subscriptions:PublicBaseUrl '{PublicBaseUrl}' is not an absolute http(s) URL.");
        }
        if (problems.Count == 0)
        {
            problems.AddRange(ToOptions().Problems());
        }
        return problems;
    }

    /// <summary>Only for settings that passed validation.</summary>
    public SubscriptionOptions ToOptions() => new()
    {
        RetryBudget = Durations.Parse(RetryBudget),
        InitialBackoff = Durations.Parse(InitialBackoff),
        MaxBackoff = Durations.Parse(MaxBackoff),
        DeliveryTimeout = Durations.Parse(DeliveryTimeout),
        MaxConcurrencyPerEndpoint = MaxConcurrencyPerEndpoint,
        MaxEventsPerNotification = MaxEventsPerNotification,
        BreakerBreakDuration = Durations.Parse(BreakerBreakDuration),
        EventRetention = Durations.Parse(EventRetention),
        PublicBaseUrl = PublicBaseUrl,
    };
}
