using Meridian.Api;
using Meridian.Audit;

namespace Meridian.Server.Retention;

/// <summary>
/// Puts retention on the audit trail: each purged batch becomes one AuditEvent (action D,
/// operation <c>retention-purge</c>, every removed resource as an entity) on the tenant's
/// hash chain, written by the same appender as every other record. The batch has already
/// committed when observers run, so a failure here cannot undo it: it is thrown, and the
/// runner logs it as the run's error.
/// </summary>
internal sealed class RetentionAuditObserver(AuditAppender appender, TimeProvider clock) : IRetentionObserver
{
    private static readonly Caller s_retention = Caller.System("meridian-retention");

    public async ValueTask OnBatchPurgedAsync(RetentionBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var record = new AuditRecord(batch.Tenant, "operation", "D", clock.GetUtcNow(), AuditRecord.OutcomeOf(200), s_retention)
        {
            Operation = "retention-purge",
            Request = $"retention: {batch.Type} last updated before {batch.UpdatedBefore:O} ({batch.Versions} versions)",
            Resources = [.. batch.Resources.Select(r => r.Type + "/" + r.Id)],
        };
        if (!await appender.AppendAsync(batch.Tenant, AuditEventWriter.ToContent(record), cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"the audit record of a retention batch ({batch.Tenant}, {batch.Type}) could not be written");
        }
    }

    public ValueTask OnRunCompletedAsync(RetentionRun run, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
