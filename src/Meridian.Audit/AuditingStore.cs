using System.Collections.Immutable;
using Meridian.Storage;
using Meridian.Storage.Search;

namespace Meridian.Audit;

/// <summary>
/// The store as <see cref="Meridian.Api.FhirApi"/> sees it when audit is on: unchanged, except
/// that a transaction carrying an <see cref="AuditScope"/> that commits is counted on it. The
/// interceptor then knows exactly whether the request's AuditEvent is already durable (it
/// committed with the data) or must still be appended, whatever path the interaction took.
/// </summary>
public sealed class AuditingStore(IFhirStore inner) : IFhirStore, IFhirStoreDecorator
{
    public IFhirStore Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public async Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await Inner.TransactAsync(tenant, operations, options, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded && options?.Audit is AuditScope scope)
        {
            scope.MarkCommitted();
        }
        return result;
    }

    public Task MigrateAsync(CancellationToken cancellationToken = default) => Inner.MigrateAsync(cancellationToken);

    public Task<StoredResource?> ReadAsync(string tenant, string type, string id, CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(tenant, type, id, cancellationToken);

    public Task<StoredResource?> ReadVersionAsync(string tenant, string type, string id, long versionId, CancellationToken cancellationToken = default) =>
        Inner.ReadVersionAsync(tenant, type, id, versionId, cancellationToken);

    public Task<HistoryPage> HistoryAsync(string tenant, HistoryQuery query, CancellationToken cancellationToken = default) =>
        Inner.HistoryAsync(tenant, query, cancellationToken);

    public Task<SearchResult> SearchAsync(string tenant, SearchQuery query, CancellationToken cancellationToken = default) =>
        Inner.SearchAsync(tenant, query, cancellationToken);

    public Task<ImmutableArray<ChangeRecord>> ReadChangesAsync(long afterSequence, int max, CancellationToken cancellationToken = default) =>
        Inner.ReadChangesAsync(afterSequence, max, cancellationToken);
}
