using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Meridian.Storage;

/// <summary>
/// Traces and metrics of the store, under one name a host subscribes to (OpenTelemetry or
/// dotnet-counters): a span per transaction/search/history call, counts of written versions,
/// failed transactions by kind and conflict re-runs.
/// </summary>
public static class StoreTelemetry
{
    public const string Name = "Meridian.Storage";

    /// <summary>Immutable after creation; shared like any ActivitySource.</summary>
    public static ActivitySource Source { get; } = new(Name);

    private static readonly Meter s_meter = new(Name);

    internal static Counter<long> VersionsWritten { get; } = s_meter.CreateCounter<long>("meridian.store.versions_written", description: "resource versions committed");

    internal static Counter<long> FailedTransactions { get; } = s_meter.CreateCounter<long>("meridian.store.failed_transactions", description: "transactions that returned a failure value");

    internal static Counter<long> ConflictRetries { get; } = s_meter.CreateCounter<long>("meridian.store.conflict_retries", description: "transactions re-run after losing a race with a concurrent writer");

    internal static Counter<long> DeadlockRetries { get; } = s_meter.CreateCounter<long>("meridian.store.deadlock_retries", description: "of the conflict retries, transactions the database aborted to break a deadlock");

    internal static Counter<long> DeferredIndexed { get; } = s_meter.CreateCounter<long>("meridian.store.deferred_indexed", description: "changes of deferred-index types indexed by the background indexer");

    internal static Counter<long> DeferredIndexTimeouts { get; } = s_meter.CreateCounter<long>("meridian.store.deferred_index_timeouts", description: "searches that gave up waiting for the deferred indexer (answered 503)");

    internal static Histogram<double> DeferredIndexSliceHeld { get; } = s_meter.CreateHistogram<double>("meridian.store.deferred_index_slice_held", unit: "ms", description: "how long one slice of the deferred indexer held the writer (what concurrent group commits wait for on SQLite)");

    internal static Counter<long> PlanProbeCacheHits { get; } = s_meter.CreateCounter<long>("meridian.store.plan_probe_cache_hits", description: "plan-choosing counts of a search answered from the store's cache instead of the database");

    internal static Counter<long> DeferredIndexFailures { get; } = s_meter.CreateCounter<long>("meridian.store.deferred_index_failures", description: "background index passes that failed (retried)");
}
