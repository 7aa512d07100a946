using System.Diagnostics;
using System.Globalization;
using System.Text;
using Meridian.Hl7.Engine.Mllp;
using Meridian.Hl7Load;
using Meridian.Server;
using Meridian.Server.Hl7;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

// HL7 v2 over MLLP: N connections each send ORU^R01 messages back to back and wait for each ACK
// (sent by Meridian only after the message is durable in the inbox and audited). See README.md.
var options = LoadOptions.Parse(args);
Console.WriteLine($"meridian hl7 load: {options.Observations} OBX per ORU^R01, {options.Seconds} s per run (+{options.Warmup} s warm-up), {Environment.ProcessorCount} cores, {DateTime.UtcNow:u}");

WebApplication? app = null;
string host;
int port;
string? data = null;
if (options.To is { } to)
{
    host = to[..to.LastIndexOf(':')];
    port = int.Parse(to[(to.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
    Console.WriteLine($"target: {to} (running server)");
}
else
{
    var settings = new Dictionary<string, string?>
    {
        ["Meridian:Port"] = "0",
        ["Meridian:InsecureDev"] = "true",
        ["Meridian:Hl7:MllpPort"] = "0",
        ["Meridian:Store"] = options.Store,
        ["Meridian:Encryption:Mode"] = "off",
    };
    if (options.Store == "postgres")
    {
        settings["Meridian:Connection"] = options.Connection ?? throw new ArgumentException("--store postgres needs --connection");
    }
    else
    {
        data = Directory.CreateTempSubdirectory("meridian-hl7-load-").FullName;
        settings["Meridian:Data"] = data;
    }
    app = await MeridianServer.BuildAsync([], settings);
    await app.StartAsync();
    var endpoint = app.Services.GetRequiredService<Hl7EngineHost>().Engine.MllpEndpoint!;
    (host, port) = (endpoint.Address.ToString(), endpoint.Port);
    Console.WriteLine($"server: in-process on {options.Store}, MLLP {endpoint}");
}

using var allocations = options.AllocTypes > 0 ? new AllocationTypes() : null;
var run = 0;
foreach (var mode in options.Modes)
{
    foreach (var connections in options.Connections)
    {
        run++;
        await DriveAsync(mode, connections, TimeSpan.FromSeconds(options.Warmup), $"w{run}", report: false);
        await DrainAsync(report: false);
        var before = await CountsAsync();
        var cpu = RuntimeCost.Now();
        var started = Stopwatch.StartNew();
        allocations?.Enabled = true;
        await DriveAsync(mode, connections, TimeSpan.FromSeconds(options.Seconds), $"r{run}", report: true);
        await DrainAsync(report: true, started, before, cpu);
        if (allocations is not null)
        {
            allocations.Enabled = false;
            var after = await CountsAsync();
            Console.WriteLine($"           allocations by type (AllocationTick samples, run and drain):");
            foreach (var line in allocations.Report(options.AllocTypes, after.Processed + after.Failed - before.Processed - before.Failed))
            {
                Console.WriteLine(line);
            }
        }
    }
}

if (app is not null)
{
    await app.StopAsync();
    await app.DisposeAsync();
}
if (data is not null)
{
    Directory.Delete(data, recursive: true);
}

// The mapping rate: after the run, wait (bounded) until the inbox has nothing left to map, then
// processed messages / time from the run's start. CPU is this process's (server and clients; the
// database's own CPU is not included).
async Task<(long Processed, long Failed, long Received)> CountsAsync()
{
    if (app is null)
    {
        return (0, 0, 0);
    }
    var counts = await app.Services.GetRequiredService<Hl7EngineHost>().Engine.Inbox.CountsAsync();
    return (counts.GetValueOrDefault("processed"), counts.GetValueOrDefault("failed"), counts.GetValueOrDefault("received"));
}

async Task DrainAsync(bool report, Stopwatch? started = null, (long Processed, long Failed, long Received) before = default, RuntimeCost cpuBefore = default)
{
    if (app is null || !options.Drain)
    {
        return;
    }
    var deadline = Stopwatch.StartNew();
    var now = await CountsAsync();
    var atStop = now; // the senders have stopped: from here on only the mapping runs (all lanes)
    while (now.Received > 0 && deadline.Elapsed < TimeSpan.FromSeconds(options.DrainSeconds))
    {
        await Task.Delay(200);
        now = await CountsAsync();
    }
    if (!report || started is null)
    {
        return;
    }
    var elapsed = started.Elapsed.TotalSeconds;
    var processed = now.Processed - before.Processed;
    var failed = now.Failed - before.Failed;
    var cost = RuntimeCost.Now() - cpuBefore;
    var done = Math.Max(1, processed + failed);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"           mapped: {processed / elapsed,8:F0} msg/s  ({processed} processed, {failed} failed, {now.Received} still waiting, {elapsed:F1} s to drain)  CPU {cost.Cpu.TotalMilliseconds / done:F2} ms/msg (this process)"));
    var drained = now.Processed + now.Failed - atStop.Processed - atStop.Failed;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"           drain: {drained / Math.Max(0.001, deadline.Elapsed.TotalSeconds),8:F0} msg/s  ({drained} mapped in {deadline.Elapsed.TotalSeconds:F1} s after the senders stopped; {atStop.Processed + atStop.Failed - before.Processed - before.Failed} during the run)"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"           JIT {cost.Jit.TotalMilliseconds / done:F2} ms/msg ({cost.JitMethods} methods compiled; time inside the JIT, an upper bound of its CPU on a busy machine)  allocated {cost.Allocated / 1024.0 / done:F0} KiB/msg  GCs {cost.Gen0}/{cost.Gen1}/{cost.Gen2} (gen0/1/2)"));
}

async Task DriveAsync(string mode, int connections, TimeSpan duration, string prefix, bool report)
{
    var latencies = new List<double>[connections];
    var refused = 0L;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, connections).Select(async c =>
    {
        var mine = latencies[c] = new List<double>(100_000);
        await using var client = await MllpClient.ConnectAsync(host, port);
        for (var i = 0; clock.Elapsed < duration; i++)
        {
            var message = Encoding.UTF8.GetBytes(Oru($"{prefix}-{Guid.NewGuid():N}"[..20], $"PAT-{c}-{i % 50}", mode == "enhanced", options.Observations));
            var sent = Stopwatch.GetTimestamp();
            var ack = await client.SendAsync(message);
            mine.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            var text = Encoding.UTF8.GetString(ack);
            if (!text.Contains("MSA|AA|", StringComparison.Ordinal) && !text.Contains("MSA|CA|", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref refused);
            }
        }
    }));
    var elapsed = clock.Elapsed.TotalSeconds;
    if (!report)
    {
        return;
    }
    var all = latencies.SelectMany(l => l).Order().ToArray();
    double P(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {mode,-8} {connections,2} conn: {all.Length / elapsed,8:F0} msg/s  ({all.Length} in {elapsed:F1} s)  ACK p50 {P(0.50):F2} ms  p99 {P(0.99):F2} ms  refused {refused}"));
}

static string Oru(string controlId, string patient, bool enhanced, int observations)
{
    var b = new StringBuilder(1500)
        .Append("MSH|^~\\&|LAB|HOSP|MERIDIAN|MERIDIAN|20240102030405||ORU^R01^ORU_R01|").Append(controlId).Append("|P|2.5.1|||")
        .Append(enhanced ? "AL|NE" : "|").Append('\r')
        .Append("PID|1||").Append(patient).Append("^^^HOSP^MR||Doe^John||19700101|M\r")
        .Append("OBR|1|ORD1|FIL1|24331-1^Lipid panel^LN|||20240102030000\r");
    for (var i = 1; i <= observations; i++)
    {
        b.Append("OBX|").Append(i).Append("|NM|2093-3^Cholesterol^LN||").Append(180 + i).Append("|mg/dL|<200||||F|||20240102030000\r");
    }
    return b.ToString();
}
