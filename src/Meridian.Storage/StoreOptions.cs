using System.Collections.Immutable;

namespace Meridian.Storage;

/// <summary>Settings shared by every provider.</summary>
public sealed record StoreOptions
{
    /// <summary>Clock for <c>lastUpdated</c>; tests pin it.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public ImmutableArray<ITransactionContributor> Contributors { get; init; } = [];

    /// <summary>Resource types whose every version is appended, in the transaction that writes
    /// it, to its tenant's tamper-evident hash chain (table <c>audit_chain</c>, see
    /// <see cref="AuditChain"/>). Meridian.Audit sets <c>AuditEvent</c>.</summary>
    public ImmutableArray<string> ChainedTypes { get; init; } = [];

    /// <summary>How often a transaction that lost a race with a concurrent writer is re-run
    /// (PostgreSQL unique/serialisation/deadlock errors) before <see cref="StoreFailureKind.Conflict"/>.</summary>
    public int MaxConflictRetries { get; init; } = 32;

    /// <summary>Upper bound on search and history page sizes.</summary>
    public int MaxPageSize { get; init; } = 1000;

    /// <summary>
    /// A top-level <c>_has</c> whose source condition has fewer index rows than this (counted,
    /// up to this bound, before the page) drives the page from its source resources instead of
    /// walking every candidate target (docs/adr/0011-search-sql-shapes.md, addendum). 0 never
    /// drives from the sources. Results and paging are the same either way.
    /// </summary>
    public int HasSourceDriveLimit { get; init; } = 1000;

    /// <summary>Encrypts resource JSON at rest (<see cref="Protection.EnvelopeProtector"/>); null
    /// stores plaintext. See docs/encryption.md.</summary>
    public Protection.IPayloadProtector? Protector { get; init; }

    public static StoreOptions Default { get; } = new();
}
