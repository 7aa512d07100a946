using System.Collections.Immutable;

namespace Meridian.Storage;

/// <summary>
/// The extension point that lets a later layer add rows to the same database transaction as
/// the data change (audit AuditEvents, provenance): it sees the planned results, before
/// commit, and returns extra operations the store applies atomically with them. Contributed
/// operations are not shown to contributors again (no loops).
/// </summary>
public interface ITransactionContributor
{
    ValueTask<ImmutableArray<WriteOperation>> ContributeAsync(TransactionContext context, CancellationToken cancellationToken);
}

/// <summary>What a contributor sees: the tenant, the caller's options and the planned results.</summary>
public sealed record TransactionContext(string Tenant, TransactOptions Options, ImmutableArray<WriteResult> Results);
