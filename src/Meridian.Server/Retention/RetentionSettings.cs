using Meridian.Fhir.Specification;
using Meridian.Server.Limits;

namespace Meridian.Server.Retention;

/// <summary>
/// Retention (section <c>Meridian:Retention</c>): per resource type, how long after its last
/// update a resource is kept (<c>Periods:Observation = 3650d</c>); older resources are
/// hard-deleted with all their versions by <see cref="RetentionService"/>. Types without a
/// period are kept forever. AuditEvents are never removed unless <see cref="AllowAuditEvents"/>
/// is set as well as a period for them: the audit trail outlives the data by default.
/// </summary>
public sealed class RetentionSettings
{
    /// <summary>Resource type → duration (<c>3650d</c>, <c>720h</c>…).</summary>
    public Dictionary<string, string> Periods { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Time between runs (the first runs at start).</summary>
    public string Interval { get; set; } = "1h";

    /// <summary>Resources purged per transaction: bounded so ordinary writers are never held up for long.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Most batches per type and tenant in one run; the rest waits for the next run.</summary>
    public int MaxBatchesPerRun { get; set; } = 1000;

    /// <summary>The explicit second key needed before a period for AuditEvent takes effect.</summary>
    public bool AllowAuditEvents { get; set; }

    public bool Enabled => Periods.Count > 0;

    public RetentionPolicy ToPolicy() => new(
        Periods.ToDictionary(kv => TypeName(kv.Key)!, kv => Durations.Parse(kv.Value), StringComparer.Ordinal),
        BatchSize, MaxBatchesPerRun);

    /// <summary>The resource type a key names, matched without case: environment variables
    /// (<c>MERIDIAN_RETENTION__PERIODS__OBSERVATION</c>) arrive upper-cased.</summary>
    private static string? TypeName(string key) =>
        FhirSpec.R4.IsResourceType(key) ? key
        : FhirSpec.R4.ResourceTypes.FirstOrDefault(t => string.Equals(t, key, StringComparison.OrdinalIgnoreCase) && FhirSpec.R4.IsResourceType(t));

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (key, period) in Periods)
        {
            var type = TypeName(key) ?? key;
            if (TypeName(key) is null)
            {
                problems.Add($"Retention:Periods:{key} names no FHIR R4 resource type.");
            }
            if (type == "AuditEvent" && !AllowAuditEvents)
            {
                problems.Add("Retention:Periods:AuditEvent needs Retention:AllowAuditEvents = true as well: the audit trail is kept unless explicitly allowed otherwise.");
            }
            Durations.Check(problems, $"Retention:Periods:{type}", period, TimeSpan.FromSeconds(1), TimeSpan.FromDays(365 * 200));
        }
        Durations.Check(problems, "Retention:Interval", Interval, TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(30));
        if (BatchSize is < 1 or > 10_000)
        {
            problems.Add("Retention:BatchSize must be between 1 and 10000.");
        }
        if (MaxBatchesPerRun < 1)
        {
            problems.Add("Retention:MaxBatchesPerRun must be at least 1.");
        }
        return problems;
    }
}

/// <summary>The validated policy the runner applies.</summary>
public sealed record RetentionPolicy(IReadOnlyDictionary<string, TimeSpan> Periods, int BatchSize = 500, int MaxBatchesPerRun = 1000);
