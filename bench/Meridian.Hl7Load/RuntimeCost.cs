
namespace Meridian.Hl7Load;

/// <summary>
/// Process counters read before and after a run. The JIT's share matters here: in a run of
/// seconds the tiering thread is still recompiling the hot path (tier 0 → instrumented → tier 1),
/// and that CPU is a warm-up cost, not a per-message one; allocated bytes per message is the
/// steadiest figure on a shared machine (it does not move with the load).
/// </summary>
internal readonly record struct RuntimeCost(TimeSpan Cpu, TimeSpan Jit, long JitMethods, long Allocated, int Gen0, int Gen1, int Gen2)
{
    public static RuntimeCost Now() => new(
        System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime,
        System.Runtime.JitInfo.GetCompilationTime(currentThread: false),
        System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: false),
        GC.GetTotalAllocatedBytes(precise: false),
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2));

    public static RuntimeCost operator -(RuntimeCost a, RuntimeCost b) => new(
        a.Cpu - b.Cpu, a.Jit - b.Jit, a.JitMethods - b.JitMethods, a.Allocated - b.Allocated, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2);
}
