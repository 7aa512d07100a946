using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Meridian.SubscriptionLoad;

/// <summary>What one write phase did: the writes that succeeded (with the ids the server gave),
/// failures, and throughput/latency over the measured window (after the warm-up).</summary>
internal sealed record PhaseResult(IReadOnlyList<(WriteSpec Spec, string Resource)> Written, long Failed, double WritesPerSecond, double P50Ms, double P99Ms, int Measured);

/// <summary>
/// Concurrent HTTP clients creating Observations and Encounters. With an offered rate the i-th
/// write is not started before start + i/rate (open-loop pacing shared by all clients, so a
/// slow server shows as fewer writes/s, not as a lower offered rate); rate 0 is closed-loop,
/// as fast as the clients get answers.
/// </summary>
internal static class WriteDriver
{
    public static async Task<PhaseResult> RunAsync(HttpClient http, string root, Workload workload, IReadOnlyList<string> patientIds, BenchOptions o)
    {
        var written = new ConcurrentBag<(WriteSpec, string)>();
        var latencies = new ConcurrentBag<double>();
        long failed = 0, next = -1, measured = 0;
        var clock = Stopwatch.StartNew();
        var warmup = TimeSpan.FromSeconds(o.Warmup);
        var end = warmup + TimeSpan.FromSeconds(o.Seconds);
        var workers = Enumerable.Range(0, o.Concurrency).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (o.Rate > 0)
                {
                    var due = TimeSpan.FromSeconds(i / (double)o.Rate);
                    if (due >= end)
                    {
                        return;
                    }
                    var wait = due - clock.Elapsed;
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait).ConfigureAwait(false);
                    }
                }
                var started = clock.Elapsed;
                if (started >= end)
                {
                    return;
                }
                var spec = workload.Next();
                using var content = new StringContent(spec.Json(patientIds), Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
                using var request = new HttpRequestMessage(HttpMethod.Post, root + "/" + spec.Type) { Content = content };
                request.Headers.TryAddWithoutValidation("Prefer", "return=minimal");
                try
                {
                    using var response = await http.SendAsync(request).ConfigureAwait(false);
                    var location = response.Headers.Location?.ToString();
                    if (!response.IsSuccessStatusCode || location is null)
                    {
                        Interlocked.Increment(ref failed);
                        continue;
                    }
                    written.Add((spec, ResourceOf(location)));
                    var done = clock.Elapsed;
                    if (started >= warmup && done <= end)
                    {
                        latencies.Add((done - started).TotalMilliseconds);
                        Interlocked.Increment(ref measured);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToList();
        await Task.WhenAll(workers).ConfigureAwait(false);
        var sorted = latencies.Order().ToArray();
        return new PhaseResult([.. written], failed, measured / (double)o.Seconds, Receiver.Percentile(sorted, 0.5), Receiver.Percentile(sorted, 0.99), (int)measured);
    }

    /// <summary><c>…/Observation/123/_history/1</c> → <c>Observation/123</c>.</summary>
    public static string ResourceOf(string location)
    {
        var parts = location.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var h = Array.IndexOf(parts, "_history");
        var end = h > 0 ? h : parts.Length;
        return parts[end - 2] + "/" + parts[end - 1];
    }
}
