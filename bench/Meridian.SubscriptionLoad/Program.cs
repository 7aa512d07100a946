using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meridian.SubscriptionLoad;

// Issue 5, item 7: 1,000 active rest-hook subscriptions under concurrent writes.
// Usage and output: bench/Meridian.SubscriptionLoad/README.md.
var o = BenchOptions.Parse(args);
var ci = CultureInfo.InvariantCulture;
Console.WriteLine($"subscription load: store={o.Store} subscriptions={o.Subscriptions} concurrency={o.Concurrency} rate={(o.Rate == 0 ? "max" : o.Rate.ToString(ci))}/s seconds={o.Seconds} (+{o.Warmup} warm-up) patients={o.Patients} endpoint-concurrency={o.EndpointConcurrency}");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load {Load()}");

await using var receiver = await Receiver.StartAsync();
await using var server = await ServerHost.StartAsync(o);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(o.Concurrency, 8), PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { Timeout = TimeSpan.FromSeconds(60) };
Console.WriteLine($"server: {server.Describe} at {server.Root}; receiver at {receiver.BaseUrl}");

var patientIds = await CreatePatientsAsync(http, server.Root, o.Patients);
var workload = new Workload(patientIds.Count, seed: 42);
var phases = o.Phases.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
PhaseResult? without = null, with = null;

if (o.Prime > 0)
{
    // Not measured: before it, the "without" phase ran on a cold process (JIT tiering) and the
    // same build's with/without ratio swung from -38 % to +38 % between rounds.
    var primed = await WriteDriver.RunAsync(http, server.Root, workload, patientIds, o with { Warmup = 0, Seconds = o.Prime });
    Console.WriteLine($"primed: {primed.WritesPerSecond:0} writes/s for {o.Prime} s (not measured), load {Load()}");
}

if (phases.Contains("without"))
{
    var cpu = Cpu.Start();
    without = await WriteDriver.RunAsync(http, server.Root, workload, patientIds, o);
    Console.WriteLine($"without subscriptions: {without.WritesPerSecond:0} writes/s (p50 {without.P50Ms:0.0} ms, p99 {without.P99Ms:0.0} ms, {without.Failed} failed), {cpu.PerWrite(without.Written.Count)}, load {Load()}");
}

if (phases.Contains("with"))
{
    var specs = Workload.Subscriptions(o.Subscriptions, patientIds);
    var setup = Stopwatch.StartNew();
    await CreateSubscriptionsAsync(http, server.Root, receiver.BaseUrl, specs);
    var active = await WaitActiveAsync(http, server.Root, specs.Count, TimeSpan.FromSeconds(300));
    Console.WriteLine($"subscriptions: {active} of {specs.Count} active after {setup.Elapsed.TotalSeconds:0.0} s");
    // The feed still carries the 2,000 Subscription versions (create + status): wait until a probe write
    // is delivered, so the measured phase starts with the consumer caught up.
    // With --subscriptions 0 (the baseline run) there is nothing to probe.
    var probe = specs.FirstOrDefault(s => s.Criteria.StartsWith("Observation?code=http", StringComparison.Ordinal));
    var probeWrite = new WriteSpec("Observation", 0, 0, "final", "vital-signs");
    if (probe is not null)
    {
        using var probed = await PostAsync(http, server.Root + "/Observation", probeWrite.Json(patientIds));
        var probeResource = WriteDriver.ResourceOf(probed.Headers.Location!.ToString());
        var settle = Stopwatch.StartNew();
        while (!receiver.Has(probe.Index, probeResource) && settle.Elapsed < TimeSpan.FromSeconds(o.DrainSeconds))
        {
            await Task.Delay(100);
        }
        Console.WriteLine($"consumer caught up (probe delivered: {receiver.Has(probe.Index, probeResource)}) after {settle.Elapsed.TotalSeconds:0.0} s more");
    }
    receiver.Reset();

    var cpu = Cpu.Start();
    with = await WriteDriver.RunAsync(http, server.Root, workload, patientIds, o);
    var cpuWrites = cpu.PerWrite(with.Written.Count);
    var expected = Expected(with.Written, specs);
    var atEnd = receiver.Count;
    Console.WriteLine($"with {active} subscriptions: {with.WritesPerSecond:0} writes/s (p50 {with.P50Ms:0.0} ms, p99 {with.P99Ms:0.0} ms, {with.Failed} failed), {cpuWrites}, load {Load()}");
    Console.WriteLine($"notifications expected: {expected.Count} ({expected.Count / (double)Math.Max(with.Written.Count, 1):0.00} per write); received when writes stopped: {atEnd} (queue lag {expected.Count - atEnd})");

    var drain = Stopwatch.StartNew();
    while (receiver.Count < expected.Count && drain.Elapsed < TimeSpan.FromSeconds(o.DrainSeconds))
    {
        await Task.Delay(100);
    }
    var missing = expected.Count(e => !receiver.Has(e.Sub, e.Resource));
    var unexpected = receiver.Count - (expected.Count - missing);
    var latencies = receiver.Latencies();
    Array.Sort(latencies);
    Console.WriteLine($"with the drain: {cpu.PerWrite(with.Written.Count)}");
    Console.WriteLine($"drained in {drain.Elapsed.TotalSeconds:0.0} s; delivered {expected.Count - missing} of {expected.Count} expected, missing {missing}, unexpected {unexpected}, duplicates {receiver.Duplicates}, unparsed {receiver.Unparsed}");
    Console.WriteLine($"commit-to-delivery: p50 {Receiver.Percentile(latencies, 0.5):0} ms, p99 {Receiver.Percentile(latencies, 0.99):0} ms, max {(latencies.Length == 0 ? double.NaN : latencies[^1]):0} ms over {latencies.Length} notifications");
}

if (without is not null && with is not null)
{
    var change = (with.WritesPerSecond - without.WritesPerSecond) / without.WritesPerSecond * 100;
    Console.WriteLine($"RESULT store={o.Store} writes/s without={without.WritesPerSecond:0} with={with.WritesPerSecond:0} change={change:+0.0;-0.0}% (target: drop <= 10%)");
}
Console.WriteLine($"load at end: {Load()}");
return 0;

static string Load()
{
    try
    {
        return File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => a + " " + b);
    }
    catch (IOException)
    {
        return "?";
    }
}

static HashSet<(int Sub, string Resource)> Expected(IReadOnlyList<(WriteSpec Spec, string Resource)> written, IReadOnlyList<SubscriptionSpec> specs)
{
    var expected = new HashSet<(int, string)>();
    foreach (var (spec, resource) in written)
    {
        foreach (var s in specs)
        {
            if (s.Matches(spec))
            {
                expected.Add((s.Index, resource));
            }
        }
    }
    return expected;
}

static async Task<IReadOnlyList<string>> CreatePatientsAsync(HttpClient http, string root, int count)
{
    var ids = new List<string>(count);
    for (var start = 0; start < count; start += 100)
    {
        var entries = new JsonArray();
        for (var i = start; i < Math.Min(count, start + 100); i++)
        {
            entries.Add(new JsonObject
            {
                ["resource"] = new JsonObject
                {
                    ["resourceType"] = "Patient",
                    ["name"] = new JsonArray(new JsonObject { ["family"] = "Bench" + i.ToString(CultureInfo.InvariantCulture), ["given"] = new JsonArray("Sub") }),
                    ["gender"] = i % 2 == 0 ? "female" : "male",
                },
                ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "Patient" },
            });
        }
        var bundle = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction", ["entry"] = entries };
        using var response = await PostAsync(http, root, bundle.ToJsonString());
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"patients: HTTP {(int)response.StatusCode}: {body}");
        }
        using var doc = JsonDocument.Parse(body);
        foreach (var e in doc.RootElement.GetProperty("entry").EnumerateArray())
        {
            ids.Add(WriteDriver.ResourceOf(e.GetProperty("response").GetProperty("location").GetString()!).Split('/')[1]);
        }
    }
    return ids;
}

static async Task CreateSubscriptionsAsync(HttpClient http, string root, string receiverBase, IReadOnlyList<SubscriptionSpec> specs)
{
    await Parallel.ForEachAsync(specs, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (s, ct) =>
    {
        var json = new JsonObject
        {
            ["resourceType"] = "Subscription",
            ["status"] = "requested",
            ["reason"] = "subscription load benchmark",
            ["criteria"] = s.Criteria,
            ["channel"] = new JsonObject
            {
                ["type"] = "rest-hook",
                ["endpoint"] = $"{receiverBase}/hook/{s.Index.ToString(CultureInfo.InvariantCulture)}",
                ["payload"] = "application/fhir+json",
            },
        };
        using var content = new StringContent(json.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        using var response = await http.PostAsync(root + "/Subscription", content, ct);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Subscription {s.Criteria}: HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        }
    });
}

static async Task<int> WaitActiveAsync(HttpClient http, string root, int count, TimeSpan limit)
{
    var clock = Stopwatch.StartNew();
    var active = 0;
    while (clock.Elapsed < limit)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(root + "/Subscription?status=active&_summary=count"));
        active = doc.RootElement.TryGetProperty("total", out var t) ? t.GetInt32() : 0;
        if (active >= count)
        {
            break;
        }
        await Task.Delay(250);
    }
    return active;
}

static async Task<HttpResponseMessage> PostAsync(HttpClient http, string url, string json)
{
    var content = new StringContent(json, Encoding.UTF8);
    content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
    return await http.PostAsync(url, content);
}

/// <summary>CPU time of this process (clients, server, receiver) and of the PostgreSQL cluster
/// (<c>MERIDIAN_PG_DIR</c>) since <see cref="Start"/>, per write: steadier than writes/s on a shared machine.</summary>
internal sealed record Cpu(TimeSpan Process, TimeSpan? Database)
{
    public static Cpu Start() => new(System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime, Meridian.LoadHarness.DatabaseCpu.Read());

    public string PerWrite(int writes)
    {
        var process = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - Process;
        var database = Meridian.LoadHarness.DatabaseCpu.Read() - Database;
        var n = Math.Max(writes, 1);
        return FormattableString.Invariant($"cpu/write {process.TotalMilliseconds / n:0.00} ms") + (database is { } db ? FormattableString.Invariant($" + postgres {db.TotalMilliseconds / n:0.00} ms") : "");
    }
}
