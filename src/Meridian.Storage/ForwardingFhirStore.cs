using System.Collections.Immutable;
using Meridian.Storage.Search;

namespace Meridian.Storage;

/// <summary>
/// A decorator that hands every call to <see cref="IFhirStoreDecorator.Inner"/>; a wrapper that
/// adds one concern overrides only the call it changes instead of restating the whole contract.
/// </summary>
public abstract class ForwardingFhirStore(IFhirStore inner) : IFhirStore, IFhirStoreDecorator
{
    public IFhirStore Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public virtual Task MigrateAsync(CancellationToken cancellationToken = default) => Inner.MigrateAsync(cancellationToken);

    public virtual Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default) =>
        Inner.TransactAsync(tenant, operations, options, cancellationToken);

    public virtual Task<StoredResource?> ReadAsync(string tenant, string type, string id, CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(tenant, type, id, cancellationToken);

    public virtual Task<StoredResource?> ReadVersionAsync(string tenant, string type, string id, long versionId, CancellationToken cancellationToken = default) =>
        Inner.ReadVersionAsync(tenant, type, id, versionId, cancellationToken);

    public virtual Task<HistoryPage> HistoryAsync(string tenant, HistoryQuery query, CancellationToken cancellationToken = default) =>
        Inner.HistoryAsync(tenant, query, cancellationToken);

    public virtual Task<SearchResult> SearchAsync(string tenant, SearchQuery query, CancellationToken cancellationToken = default) =>
        Inner.SearchAsync(tenant, query, cancellationToken);

    public virtual Task<ImmutableArray<ChangeRecord>> ReadChangesAsync(long afterSequence, int max, CancellationToken cancellationToken = default) =>
        Inner.ReadChangesAsync(afterSequence, max, cancellationToken);
}
