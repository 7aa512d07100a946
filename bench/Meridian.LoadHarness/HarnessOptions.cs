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

    /// <summary>
    /// Search rounds: before each, copies of the Synthea corpus (22,888 resources each) are loaded
    /// until this many are in; e.g. "1,5,10" times the searches at 1×, 5× and 10× the data.
    /// </summary>
    public IReadOnlyList<int> Levels { get; init; } = [5];

    /// <summary>Directory of the gzipped Synthea transaction Bundles.</summary>
    public string Bundles { get; init; } = DefaultBundles();

    /// <summary>Scenarios to run, comma separated: ingest,create,read,search.</summary>
    public string Scenarios { get; init; } = "ingest,create,read,search";

    /// <summary>
    /// Also run a full <c>ANALYZE</c> on the SQLite file before searches (the server's own
    /// OptimizeAsync analyses only what its writer connection has queried).
    /// </summary>
    public bool SqliteAnalyze { get; init; }

    /// <summary>
    /// How search levels above 1× are loaded: <c>http</c> (transaction Bundles, measured as
    /// ingest) or <c>sql</c> (<see cref="DataGrowth"/>: copies of copy 0 inside the database).
    /// </summary>
    public string Growth { get; init; } = "http";

    /// <summary>SQLite: keep the database in this directory (reused by the next run) instead of a temp dir.</summary>
    public string? DataDir { get; init; }

    /// <summary>PostgreSQL: use (and keep) this database instead of a throwaway one.</summary>
    public string? PgDatabase { get; init; }

    /// <summary>Encryption at rest (issue 4): <c>on</c> (a throwaway master key, both stores) or
    /// <c>off</c> (plaintext), to measure its overhead.</summary>
    public string Encryption { get; init; } = "on";

    /// <summary>PostgreSQL: <c>superuser</c> (the server connects as <see cref="Postgres"/>'s user,
    /// which bypasses row-level security) or <c>app</c> (a fresh login role without SUPERUSER or
    /// BYPASSRLS owns the database, as in production: row-level security applies).</summary>
    public string PgRole { get; init; } = "superuser";

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
                "--levels" => o with { Levels = v.Split(',').Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray() },
                "--bundles" => o with { Bundles = v },
                "--scenarios" => o with { Scenarios = v },
                "--sqlite-analyze" => o with { SqliteAnalyze = bool.Parse(v) },
                "--growth" => o with { Growth = v },
                "--data-dir" => o with { DataDir = v },
                "--pg-database" => o with { PgDatabase = v },
                "--pg-role" => o with { PgRole = v is "app" or "superuser" ? v : throw new ArgumentException("--pg-role must be app or superuser") },
                "--encryption" => o with { Encryption = v is "on" or "off" ? v : throw new ArgumentException("--encryption must be on or off") },
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
