using System.Collections.Immutable;
using Meridian.Storage.Search;

namespace Meridian.Storage;

/// <summary>
/// The whole database API of Meridian (after samply/blaze): transact, read (current, version,
/// history), search a compiled expression, read the change feed, migrate. Every call is scoped
/// to a tenant except the change feed, which a single dispatcher reads for all tenants.
/// Expected failures (version conflict, not found, gone) are values, never exceptions.
/// </summary>
public interface IFhirStore
{
    /// <summary>Creates or upgrades the schema to the newest migration. Idempotent.</summary>
    Task MigrateAsync(CancellationToken cancellationToken = default);

    /// <summary>Applies <paramref name="operations"/> in order, all or nothing, in one database
    /// transaction (one writer round trip per table, not per resource).</summary>
    Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>The current version, a deleted version (gone) or null (never existed).</summary>
    Task<StoredResource?> ReadAsync(string tenant, string type, string id, CancellationToken cancellationToken = default);

    /// <summary>One version (deleted versions included) or null.</summary>
    Task<StoredResource?> ReadVersionAsync(string tenant, string type, string id, long versionId, CancellationToken cancellationToken = default);

    Task<HistoryPage> HistoryAsync(string tenant, HistoryQuery query, CancellationToken cancellationToken = default);

    Task<SearchResult> SearchAsync(string tenant, SearchQuery query, CancellationToken cancellationToken = default);

    /// <summary>Changes with a sequence greater than <paramref name="afterSequence"/>, in commit order.</summary>
    Task<ImmutableArray<ChangeRecord>> ReadChangesAsync(long afterSequence, int max, CancellationToken cancellationToken = default);
}

/// <summary>Per-transaction metadata recorded with the change rows.</summary>
public sealed record TransactOptions(string? TraceId = null)
{
    /// <summary>Facts about the request behind this transaction for <see cref="ITransactionContributor"/>s
    /// (Meridian.Audit passes who/what/where so the AuditEvent commits with the data). Opaque to the store.</summary>
    public object? Audit { get; init; }

    /// <summary>A module's rows written in this request's own transaction (relational stores;
    /// see <see cref="ITransactionParticipant"/>). Ignored by stores without SQL.</summary>
    public ITransactionParticipant? Participant { get; init; }
}
