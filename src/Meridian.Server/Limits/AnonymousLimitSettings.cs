using System.Globalization;

namespace Meridian.Server.Limits;

/// <summary>
/// A tighter token bucket per remote IP address for requests nobody has authenticated yet
/// (section <c>Meridian:Limits:Anonymous</c>): the authorization server's endpoints (token,
/// login page, authorize, introspect), discovery (JWKS, smart-configuration, metadata) and every
/// request whose bearer token is missing or refused. Such requests are cheap to send and costly
/// to answer (password hashing, signature checks, an audit record per refusal), so an
/// unauthenticated flood is cut off per address before it reaches any of that, while clients
/// with a valid token spend only their own bucket (<see cref="RateLimitSettings"/>). Beyond the
/// bucket: 429 with Retry-After and an OperationOutcome.
/// </summary>
public sealed class AnonymousLimitSettings
{
    public bool Enabled { get; set; } = true;

    /// <summary>Burst per address.</summary>
    public int TokenLimit { get; set; } = 300;

    public int TokensPerPeriod { get; set; } = 60;

    public string ReplenishmentPeriod { get; set; } = "1s";

    internal TimeSpan ReplenishmentPeriodValue => Durations.Parse(ReplenishmentPeriod);

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (TokenLimit < 1 || TokensPerPeriod < 1 || TokensPerPeriod > TokenLimit)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"Limits:Anonymous needs 1 <= TokensPerPeriod <= TokenLimit (got {TokensPerPeriod} and {TokenLimit})."));
        }
        Durations.Check(problems, "Limits:Anonymous:ReplenishmentPeriod", ReplenishmentPeriod, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        return problems;
    }
}
