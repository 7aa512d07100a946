namespace Meridian.Server.Metrics;

/// <summary>
/// <c>/metrics</c> (section <c>Meridian:Metrics</c>). It needs a bearer access token whose
/// caller holds one of <see cref="Roles"/>, like any other request: Prometheus gets one with its
/// <c>oauth2</c> client-credentials block. <see cref="Anonymous"/> is the explicit opt-in for
/// scraping over a private network without a token. Metric labels never carry patient data
/// (consumer, partition, endpoint names), but counts and names still describe the deployment.
/// </summary>
public sealed class MetricsSettings
{
    /// <summary>Serve <c>/metrics</c> at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Serve it without authentication (opt-in; for a scrape network the operator controls).</summary>
    public bool Anonymous { get; set; }

    /// <summary>Caller roles that may read it, separated by commas or spaces (one string, so an
    /// environment variable can replace the default instead of adding to it).</summary>
    public string Roles { get; set; } = "admin,monitoring";

    /// <summary><see cref="Roles"/> as a list.</summary>
    public IReadOnlyList<string> RoleList => Roles.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public IEnumerable<string> Problems()
    {
        if (Enabled && !Anonymous && RoleList.Count == 0)
        {
            yield return "Metrics:Roles must name at least one role (or set Metrics:Anonymous = true).";
        }
    }
}
