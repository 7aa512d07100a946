using System.Collections.Concurrent;
using System.Diagnostics;

namespace Meridian.LoadHarness;

/// <summary>
/// Sums the duration of Meridian's own spans (Meridian.Api "fhir POST", Meridian.Storage
/// "store.transact"…) so a scenario can say how much of the request time the store took versus
/// parsing, validation and index extraction in the API layer.
/// </summary>
internal sealed class SpanProfile : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<string, long[]> _totals = new(StringComparer.Ordinal);

    public SpanProfile()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name.StartsWith("Meridian", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                var slot = _totals.GetOrAdd(a.DisplayName, _ => new long[2]);
                Interlocked.Add(ref slot[0], a.Duration.Ticks);
                Interlocked.Increment(ref slot[1]);
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Reset() => _totals.Clear();

    /// <summary>One line per span name: count and mean duration.</summary>
    public string Summary() => string.Join("; ", _totals.OrderBy(p => p.Key, StringComparer.Ordinal)
        .Select(p => $"{p.Key}: {p.Value[1]} spans, mean {TimeSpan.FromTicks(p.Value[0] / Math.Max(1, p.Value[1])).TotalMilliseconds:F1} ms, total {TimeSpan.FromTicks(p.Value[0]).TotalSeconds:F1} s"));

    public void Dispose() => _listener.Dispose();
}
