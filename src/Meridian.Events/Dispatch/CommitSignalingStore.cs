using System.Collections.Immutable;
using Meridian.Storage;
using Meridian.Storage.Search;

namespace Meridian.Events.Dispatch;

/// <summary>
/// The store unchanged, except that a successful transaction raises the <see cref="CommitSignal"/>
/// after it returns (after the commit is durable, never inside it). Writes that bypass it (purges
/// through <see cref="IFhirStoreMaintenance"/>, other nodes) are found by the dispatcher's poll.
/// </summary>
public sealed class CommitSignalingStore(IFhirStore inner, CommitSignal signal) : IFhirStore, IFhirStoreDecorator
{
    public IFhirStore Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public async Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await Inner.TransactAsync(tenant, operations, options, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            signal.Raise();
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
