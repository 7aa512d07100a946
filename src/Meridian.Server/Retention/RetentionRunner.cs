using System.Collections.Immutable;
using Meridian.Storage;
using Microsoft.Extensions.Logging;

namespace Meridian.Server.Retention;

/// <summary>One purged batch: which resources of which type in which tenant, and the cutoff applied.</summary>
public sealed record RetentionBatch(string Tenant, string Type, DateTimeOffset UpdatedBefore, ImmutableArray<ResourceRef> Resources, int Versions);

/// <summary>A finished run: when, and every batch it purged (empty when nothing had expired).</summary>
public sealed record RetentionRun(DateTimeOffset Started, DateTimeOffset Finished, ImmutableArray<RetentionBatch> Batches, string? Error)
{
    public int Resources => Batches.Sum(b => b.Resources.Length);
}

/// <summary>
/// The hook for audit (and anything else that must know): called after each purged batch has
/// committed and once per run. The audit layer records these as AuditEvents; the runner itself
/// only logs, so there is one audit writer and one hash chain.
/// </summary>
public interface IRetentionObserver
{
    ValueTask OnBatchPurgedAsync(RetentionBatch batch, CancellationToken cancellationToken);

    ValueTask OnRunCompletedAsync(RetentionRun run, CancellationToken cancellationToken);
}

/// <summary>
/// Applies a <see cref="RetentionPolicy"/> once: for every tenant and every type with a period,
/// hard-deletes (all versions) the resources whose newest version is older than the period, in
/// batches of <see cref="RetentionPolicy.BatchSize"/>, one transaction each. Independent of the
/// host's scheduling, so tests run it directly with a pinned clock.
/// </summary>
public sealed class RetentionRunner(IFhirStoreMaintenance store, RetentionPolicy policy, TimeProvider clock, IEnumerable<IRetentionObserver> observers, ILogger<RetentionRunner> logger)
{
    private readonly ImmutableArray<IRetentionObserver> _observers = [.. observers];

    public async Task<RetentionRun> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var started = clock.GetUtcNow();
        var batches = ImmutableArray.CreateBuilder<RetentionBatch>();
        string? error = null;
        try
        {
            foreach (var tenant in await store.TenantsAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var (type, period) in policy.Periods.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    await PurgeTypeAsync(tenant, type, started - period, batches, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next run retries; what already committed stays committed (and was reported).
            error = ex.Message;
            RetentionLog.RunFailed(logger, ex);
        }
        var run = new RetentionRun(started, clock.GetUtcNow(), batches.ToImmutable(), error);
        RetentionLog.RunCompleted(logger, run.Resources, run.Batches.Length, run.Error is null);
        foreach (var observer in _observers)
        {
            await observer.OnRunCompletedAsync(run, cancellationToken).ConfigureAwait(false);
        }
        return run;
    }

    private async Task PurgeTypeAsync(string tenant, string type, DateTimeOffset cutoff, ImmutableArray<RetentionBatch>.Builder batches, CancellationToken ct)
    {
        for (var i = 0; i < policy.MaxBatchesPerRun; i++)
        {
            var expired = await store.FindExpiredAsync(tenant, type, cutoff, policy.BatchSize, ct).ConfigureAwait(false);
            if (expired.IsEmpty)
            {
                return;
            }
            var result = await store.PurgeAsync(tenant, expired, new TransactOptions("retention"), ct).ConfigureAwait(false);
            if (!result.Succeeded)
            {
                RetentionLog.BatchFailed(logger, tenant, type, result.Failure!.Message);
                return;
            }
            var batch = new RetentionBatch(tenant, type, cutoff, expired, result.Versions);
            batches.Add(batch);
            RetentionLog.BatchPurged(logger, tenant, type, expired.Length, result.Versions, cutoff);
            foreach (var observer in _observers)
            {
                await observer.OnBatchPurgedAsync(batch, ct).ConfigureAwait(false);
            }
            if (expired.Length < policy.BatchSize)
            {
                return;
            }
        }
    }
}
