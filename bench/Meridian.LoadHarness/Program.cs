using System.Diagnostics;
using System.Net;
using Meridian.LoadHarness;

// Load harness for the REST server and store (issue 3): see README.md for the scenarios.
var options = HarnessOptions.Parse(args);
if (options.Growth == "sql" && options.Encryption == "on")
{
    // Sealed JSON is bound to its resource id (associated data) and the master key is a
    // throwaway per run: copies under new ids, and a database kept for a later run, could not
    // be decrypted. Grown data is stored in plaintext.
    Console.WriteLine("--growth sql: encryption at rest off (copied rows are stored in plaintext)");
    options = options with { Encryption = "off" };
}
if (options.Store != "postgres")
{
    // cpu/request adds the PostgreSQL cluster's CPU only when the server runs on it.
    Environment.SetEnvironmentVariable("MERIDIAN_PG_DIR", null);
}
Console.WriteLine($"meridian load harness: store {options.Store}, concurrency {options.Concurrency}, ingest concurrency {options.IngestConcurrency}, {options.Seconds} s per timed scenario, {Environment.ProcessorCount} cores, {DateTime.UtcNow:u}");
var corpus = SyntheaCorpus.Load(options.Bundles);
Console.WriteLine($"corpus: {corpus.Bundles.Count} bundles, {corpus.ResourcesPerCopy} resources per copy");

await using var host = await ServerHost.StartAsync(options);
Console.WriteLine($"server: {host.Root} on {host.Describe}");
using var handler = new SocketsHttpHandler
{
    MaxConnectionsPerServer = Math.Max(options.Concurrency, options.IngestConcurrency),
    PooledConnectionLifetime = TimeSpan.FromMinutes(30),
    AutomaticDecompression = DecompressionMethods.None,
};
using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Accept.ParseAdd("application/fhir+json");
using var profile = new SpanProfile();
var scenarios = new Scenarios(http, host.Root, corpus, options);

async Task<ScenarioResult> Measure(Func<Task<ScenarioResult>> run)
{
    profile.Reset();
    var result = await run();
    Console.WriteLine("  " + result);
    Console.WriteLine("    spans: " + profile.Summary());
    return result;
}

var loaded = 0;
if (options.Runs("ingest"))
{
    await Measure(() => scenarios.IngestAsync("ingest Synthea transactions (copy 0)", 0, 1));
    loaded = 1;
}
if (options.Runs("create"))
{
    if (loaded == 0)
    {
        await Measure(() => scenarios.IngestAsync("ingest Synthea transactions (copy 0)", 0, 1));
        loaded = 1;
    }
    await Measure(scenarios.CreateAsync);
}
if (options.Runs("read"))
{
    await Measure(scenarios.ReadAsync);
}
if (options.Runs("search"))
{
    var growth = options.Growth == "sql" ? new GrowthRunner(host, scenarios) : null;
    if (growth is not null && loaded == 0)
    {
        loaded = await growth.LoadedAsync(CancellationToken.None);
        Console.WriteLine($"  kept data: {loaded} copies");
    }
    async Task LoadTo(int copies)
    {
        if (growth is not null && copies > loaded)
        {
            if (loaded == 0)
            {
                await Measure(() => scenarios.IngestAsync("ingest Synthea transactions (copy 0)", 0, 1));
                loaded = 1;
            }
            await growth.GrowAsync(loaded, copies, CancellationToken.None);
            loaded = copies;
        }
        if (copies > loaded)
        {
            await Measure(() => scenarios.IngestAsync($"ingest copies {loaded}..{copies - 1}", loaded, copies));
            loaded = copies;
        }
        var clock = Stopwatch.StartNew();
        await host.AnalyzeAsync(options.SqliteAnalyze);
        Console.WriteLine($"  planner statistics refreshed in {clock.Elapsed.TotalSeconds:F1} s");
    }
    foreach (var level in options.Levels)
    {
        await LoadTo(Math.Max(1, level));
        var label = $"{(long)loaded * corpus.ResourcesPerCopy + scenarios.CreatedObservations.Count} resources";
        Console.WriteLine($"searches with {label}:");
        await scenarios.SearchesAsync(label);
    }
}
Console.WriteLine($"done {DateTime.UtcNow:u}");
