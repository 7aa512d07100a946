namespace Meridian.LoadHarness;

/// <summary>What one harness run does; parsed from <c>--key value</c> arguments.</summary>
internal sealed record HarnessOptions
{
    /// <summary><c>sqlite</c> (a temp directory) or <c>postgres</c> (a fresh database on <see cref="Postgres"/>).</summary>
    public string Store { get; init; } = "sqlite";

    /// <summary>Admin connection string; default MERIDIAN_TEST_PG.</summary>
    public string? Postgres { get; init; } = Environment.GetEnvironmentVariable("MERIDIAN_TEST_PG");

    public int Concurrency { get; init; } = 16;

    /// <summary>Clients posting transaction Bundles during ingest.</summary>
    public int IngestConcurrency { get; init; } = 4;

    /// <summary>Seconds each timed scenario runs.</summary>
    public int Seconds { get; init; } = 15;

    /// <summary>Copies of the Synthea corpus loaded before the first search round (23,092 resources each).</summary>
    public int Copies { get; init; } = 5;

    /// <summary>Copies in total before the second search round (0: skip it).</summary>
    public int LargeCopies { get; init; }

    /// <summary>Directory of the gzipped Synthea transaction Bundles.</summary>
    public string Bundles { get; init; } = DefaultBundles();

    /// <summary>Scenarios to run, comma separated: ingest,create,read,search.</summary>
    public string Scenarios { get; init; } = "ingest,create,read,search";

    public bool Runs(string scenario) => Scenarios.Split(',').Contains(scenario, StringComparer.OrdinalIgnoreCase);

    public static HarnessOptions Parse(string[] args)
    {
        var o = new HarnessOptions();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var v = args[i + 1];
            o = args[i] switch
            {
                "--store" => o with { Store = v },
                "--postgres" => o with { Postgres = v },
                "--concurrency" => o with { Concurrency = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) },
                "--ingest-concurrency" => o with { IngestConcurrency = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) },
                "--seconds" => o with { Seconds = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) },
                "--copies" => o with { Copies = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) },
                "--large-copies" => o with { LargeCopies = int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) },
                "--bundles" => o with { Bundles = v },
                "--scenarios" => o with { Scenarios = v },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }

    private static string DefaultBundles()
    {
        var shared = Environment.GetEnvironmentVariable("MERIDIAN_SHARED_DATA");
        if (!string.IsNullOrEmpty(shared))
        {
            return Path.Combine(shared, "synthea", "bundles");
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "synthea", "bundles");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        return "/work/shared/data/synthea/bundles";
    }
}
