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

    /// <summary>
    /// Resource types whose search-index rows are not written by the transaction that stores a
    /// version but by a background indexer soon after, in large batches, one transaction each
    /// (docs/adr/0030-deferred-audit-indexing.md). Meant for append-only, write-heavy types
    /// (Meridian.Audit sets <c>AuditEvent</c>): the version row, chain link and change row stay
    /// in the write's transaction, so durability is unchanged; read, vread and history need no
    /// index. A search that can reach one of these types first waits until the indexer has
    /// caught up with the tenant's last change of them as of the search's start, so it sees
    /// everything written before it.
    /// </summary>
    public ImmutableArray<string> DeferredIndexTypes { get; init; } = [];

    /// <summary>How long the background indexer gathers deferred-type writes before indexing
    /// them in one transaction (searches that need them do not wait for this: they index at once).</summary>
    public TimeSpan DeferredIndexDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound on the time a search waits for the deferred indexer to catch up;
    /// past it the search fails (<see cref="DeferredIndexTimeoutException"/>, a
    /// <see cref="TimeoutException"/>; the server answers 503 with Retry-After) rather than
    /// answer without records written before it.</summary>
    public TimeSpan DeferredIndexWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Changes of deferred types indexed per indexer transaction.</summary>
    public int DeferredIndexBatch { get; init; } = 2000;

    /// <summary>
    /// Changes of a batch indexed per writer transaction: the indexer releases the writer
    /// between these slices (each advances the durable position), so writes queued meanwhile
    /// (on SQLite's single writer: every audited read's AuditEvent) wait for one slice, not for
    /// the whole batch. Reading and extracting the batch still happens once, off the writer.
    /// </summary>
    public int DeferredIndexWriteChunk { get; init; } = 256;

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

    /// <summary>
    /// How long the answer of a bounded count that chooses a search's plan (the <c>_has</c>
    /// source count, the date-envelope counts) is reused for the same statement and values.
    /// Those counts decide only which condition drives the page, never the results, so a stale
    /// answer can cost speed but not correctness. <see cref="TimeSpan.Zero"/> counts every time.
    /// </summary>
    public TimeSpan PlanProbeCacheDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A search whose date conditions bound a window (<c>date=ge…&amp;date=lt…</c>, eq, ap…)
    /// drives its page from the date envelopes overlapping the window when fewer than this many
    /// overlap it and no more than the rows of the condition that would drive otherwise (both
    /// counted, up to that bound, before the page; docs/adr/0011-search-sql-shapes.md, second
    /// addendum). 0 never drives from the envelope; int.MaxValue always does when a window
    /// exists, without counting; null takes the engine's default
    /// (<see cref="Relational.SqlDialect.DefaultDateEnvelopeDriveLimit"/>: 1,000 on PostgreSQL,
    /// 0 on SQLite). Results and paging are the same either way.
    /// </summary>
    public int? DateEnvelopeDriveLimit { get; init; }

    /// <summary>Encrypts resource JSON at rest (<see cref="Protection.EnvelopeProtector"/>); null
    /// stores plaintext. See docs/encryption.md.</summary>
    public Protection.IPayloadProtector? Protector { get; init; }

    public static StoreOptions Default { get; } = new();
}
