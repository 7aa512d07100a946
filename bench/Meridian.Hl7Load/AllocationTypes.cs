using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Meridian.Hl7Load;

/// <summary>
/// Which types the process allocates (<c>--alloc-types N</c>): the runtime's GC AllocationTick
/// events (one per ~100 KB allocated, naming the type whose allocation crossed the threshold), summed
/// per type while <see cref="Enabled"/>. A sample, not a count: a type's share of the ticks
/// estimates its share of the bytes. In-process, so it needs no tool; used to find what a mapped
/// message allocates.
/// </summary>
internal sealed class AllocationTypes : EventListener
{
    private const int GcKeyword = 0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    public volatile bool Enabled;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!Enabled || eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
        {
            return;
        }
        var names = eventData.PayloadNames!;
        var type = names.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload[t] as string ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload[a], CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }

    /// <summary>The top <paramref name="count"/> types with their share and KiB per message.</summary>
    public IEnumerable<string> Report(int count, long messages)
    {
        var total = Math.Max(1, _bytes.Values.Sum());
        return _bytes.OrderByDescending(kv => kv.Value).Take(count).Select(kv => string.Create(CultureInfo.InvariantCulture,
            $"             {100.0 * kv.Value / total,5:F1} %  {kv.Value / 1024.0 / Math.Max(1, messages),7:F1} KiB/msg  {kv.Key}"));
    }
}
