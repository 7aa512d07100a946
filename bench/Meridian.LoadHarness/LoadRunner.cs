using System.Diagnostics;

namespace Meridian.LoadHarness;

/// <summary>
/// Runs a request function on N concurrent workers, either until a deadline or until a shared
/// work queue is empty, timing every request. The function returns how many units (resources)
/// it handled, or -1 for a failed request.
/// </summary>
internal static class LoadRunner
{
    public delegate Task<int> Step(int worker, long sequence, CancellationToken cancellationToken);

    public static async Task<ScenarioResult> RunAsync(string name, string unitName, int workers, TimeSpan duration, long maxOperations, Step step)
    {
        using var deadline = new CancellationTokenSource(duration);
        var tallies = new WorkerTally[workers];
        long next = -1;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var dbBefore = DatabaseCpu.Read();
        var clock = Stopwatch.StartNew();
        var tasks = new Task[workers];
        for (var w = 0; w < workers; w++)
        {
            var tally = tallies[w] = new WorkerTally();
            var worker = w;
            tasks[w] = Task.Run(async () =>
            {
                while (!deadline.IsCancellationRequested)
                {
                    var seq = Interlocked.Increment(ref next);
                    if (seq >= maxOperations)
                    {
                        return;
                    }
                    var start = Stopwatch.GetTimestamp();
                    int units;
                    try
                    {
                        // The deadline stops new requests; one already sent is allowed to finish.
                        units = await step(worker, seq, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (HttpRequestException ex)
                    {
                        tally.FirstError ??= ex.Message;
                        units = -1;
                    }
                    tally.LatenciesMs.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (units < 0)
                    {
                        tally.Errors++;
                    }
                    else
                    {
                        tally.Units += units;
                    }
                }
            });
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var result = ScenarioResult.From(name, unitName, clock.Elapsed, tallies) with
        {
            ProcessCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore,
            DatabaseCpu = DatabaseCpu.Read() - dbBefore,
        };
        var firstError = tallies.Select(t => t.FirstError).FirstOrDefault(e => e is not null);
        if (firstError is not null)
        {
            Console.WriteLine($"  first error in {name}: {firstError}");
        }
        return result;
    }
}
