namespace Meridian.LoadHarness;

/// <summary>The outcome of one timed scenario: counts, wall time and latency percentiles (ms).</summary>
internal sealed record ScenarioResult(string Name, long Operations, long Units, long Errors, TimeSpan Elapsed, double P50, double P99, string UnitName)
{
    /// <summary>CPU time of this process (clients + server + SQLite) during the run.</summary>
    public TimeSpan ProcessCpu { get; init; }

    /// <summary>CPU time of the PostgreSQL server's processes during the run (null: not measured).</summary>
    public TimeSpan? DatabaseCpu { get; init; }

    /// <summary>Per request, in ms: the machine is shared, so CPU cost per request is steadier than
    /// throughput (it does not count the time spent waiting for a core).</summary>
    public string CpuText => Operations == 0 ? "" :
        $"  cpu/request {ProcessCpu.TotalMilliseconds / Operations:F2} ms" + (DatabaseCpu is { } db ? $" + postgres {db.TotalMilliseconds / Operations:F2} ms" : "");

    public double OpsPerSecond => Operations / Elapsed.TotalSeconds;

    public double UnitsPerSecond => Units / Elapsed.TotalSeconds;

    public override string ToString() =>
        $"{Name,-44} {UnitsPerSecond,10:F0} {UnitName}/s  p50 {P50,8:F1} ms  p99 {P99,8:F1} ms  ({Operations} requests, {Units} {UnitName}, {Errors} errors, {Elapsed.TotalSeconds:F1} s){CpuText}";

    public static ScenarioResult From(string name, string unitName, TimeSpan elapsed, IReadOnlyList<WorkerTally> tallies)
    {
        var all = new List<double>();
        long units = 0, errors = 0;
        foreach (var t in tallies)
        {
            all.AddRange(t.LatenciesMs);
            units += t.Units;
            errors += t.Errors;
        }
        all.Sort();
        return new ScenarioResult(name, all.Count, units, errors, elapsed, Percentile(all, 0.50), Percentile(all, 0.99), unitName);
    }

    private static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}

/// <summary>One worker's own counters (no sharing between workers while they run).</summary>
internal sealed class WorkerTally
{
    public List<double> LatenciesMs { get; } = new(4096);

    public long Units { get; set; }

    public long Errors { get; set; }

    public string? FirstError { get; set; }
}
