using System.Collections.Immutable;
using Meridian.Audit.Internal;
using Meridian.Storage;

namespace Meridian.Audit;

/// <summary>
/// Adds the AuditEvent of a write to the write's own database transaction: the store calls it
/// with the planned results (ids and versions assigned), before commit, so a version without
/// its AuditEvent cannot exist. Transactions without audit facts (the appender's own, imports
/// straight into the store) pass through untouched.
/// </summary>
public sealed class AuditContributor(TimeProvider clock) : ITransactionContributor
{
    public ValueTask<ImmutableArray<WriteOperation>> ContributeAsync(TransactionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Options.Audit is not AuditScope scope)
        {
            return ValueTask.FromResult(ImmutableArray<WriteOperation>.Empty);
        }
        var record = AuditRecords.ForWrite(scope, context.Results, clock.GetUtcNow());
        return ValueTask.FromResult(ImmutableArray.Create<WriteOperation>(new CreateOperation(AuditTypes.AuditEvent, AuditEventWriter.ToContent(record))));
    }
}

/// <summary>The resource types the audit trail consists of (the store chains them).</summary>
public static class AuditTypes
{
    public const string AuditEvent = "AuditEvent";

    public static ImmutableArray<string> Chained { get; } = [AuditEvent];

    /// <summary>The types whose search index the store writes in the background
    /// (<see cref="StoreOptions.DeferredIndexTypes"/>): the audit trail is append-only and
    /// written on every interaction, but searched rarely.</summary>
    public static ImmutableArray<string> DeferredIndex { get; } = [AuditEvent];
}
