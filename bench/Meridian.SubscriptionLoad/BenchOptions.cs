using System.Globalization;

namespace Meridian.SubscriptionLoad;

/// <summary>Command line: see bench/Meridian.SubscriptionLoad/README.md.</summary>
internal sealed record BenchOptions
{
    public string Store { get; init; } = "sqlite";
    public string? Postgres { get; init; } = Environment.GetEnvironmentVariable("MERIDIAN_TEST_PG");
    public int Subscriptions { get; init; } = 1000;
    public int Concurrency { get; init; } = 32;

    /// <summary>Offered writes per second (0: as fast as the clients can go).</summary>
    public int Rate { get; init; } = 2000;
    public int Seconds { get; init; } = 20;
    public int Warmup { get; init; } = 3;

    /// <summary>Unmeasured writes before the first phase (seconds): the process's JIT tiering
    /// settles first, so the first phase is not the only one measured on a cold process.</summary>
    public int Prime { get; init; } = 15;

    /// <summary>How long to wait after the writes for the queue to drain.</summary>
    public int DrainSeconds { get; init; } = 120;
    public int Patients { get; init; } = 1000;
    public int EndpointConcurrency { get; init; } = 32;
    public string Phases { get; init; } = "without,with";

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--store" => o with { Store = v },
                "--postgres" => o with { Postgres = v },
                "--subscriptions" => o with { Subscriptions = Int(v) },
                "--concurrency" => o with { Concurrency = Int(v) },
                "--rate" => o with { Rate = Int(v) },
                "--seconds" => o with { Seconds = Int(v) },
                "--warmup" => o with { Warmup = Int(v) },
                "--prime" => o with { Prime = Int(v) },
                "--drain-seconds" => o with { DrainSeconds = Int(v) },
                "--patients" => o with { Patients = Int(v) },
                "--endpoint-concurrency" => o with { EndpointConcurrency = Int(v) },
                "--phases" => o with { Phases = v },
                _ => throw new ArgumentException($"unknown option {args[i]} (see bench/Meridian.SubscriptionLoad/README.md)"),
            };
        }
        if (o.Store is not ("sqlite" or "postgres"))
        {
            throw new ArgumentException("--store is sqlite or postgres");
        }
        return o;
    }

    private static int Int(string v) => int.Parse(v, CultureInfo.InvariantCulture);
}
