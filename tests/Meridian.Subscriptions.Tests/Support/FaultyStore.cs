using System.Collections.Immutable;
using Meridian.Storage;
using Meridian.Storage.Search;

namespace Meridian.Subscriptions.Tests.Support;

/// <summary>
/// A store that forwards to a real one, with switches that hold a search of one type at a gate
/// (to pin down an interleaving) or make version reads come back empty (to stand in for a
/// version that cannot be read). Test double.
/// </summary>
public sealed class FaultyStore(IFhirStore inner) : IFhirStore, IFhirStoreDecorator
{
    public IFhirStore Inner => inner;

    /// <summary>Searches of this type wait for <see cref="Release"/> (after signalling <see cref="GateReached"/>).</summary>
    public string? GateSearchOf { get; set; }

    public TaskCompletionSource GateReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _release.TrySetResult();

    /// <summary>ReadVersionAsync of this id returns null.</summary>
    public string? NoVersionOf { get; set; }

    /// <summary>ReadAsync of <see cref="NoVersionOf"/> returns this instead (null: as if purged).</summary>
    public Func<StoredResource?, StoredResource?> Current { get; set; } = r => r;

    public Task MigrateAsync(CancellationToken cancellationToken = default) => inner.MigrateAsync(cancellationToken);

    public Task<TransactResult> TransactAsync(string tenant, IReadOnlyList<WriteOperation> operations, TransactOptions? options = null, CancellationToken cancellationToken = default) =>
        inner.TransactAsync(tenant, operations, options, cancellationToken);

    public async Task<StoredResource?> ReadAsync(string tenant, string type, string id, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(tenant, type, id, cancellationToken);
        return id == NoVersionOf ? Current(read) : read;
    }

    public Task<StoredResource?> ReadVersionAsync(string tenant, string type, string id, long versionId, CancellationToken cancellationToken = default) =>
        id == NoVersionOf ? Task.FromResult<StoredResource?>(null) : inner.ReadVersionAsync(tenant, type, id, versionId, cancellationToken);

    public Task<HistoryPage> HistoryAsync(string tenant, HistoryQuery query, CancellationToken cancellationToken = default) => inner.HistoryAsync(tenant, query, cancellationToken);

    public async Task<SearchResult> SearchAsync(string tenant, SearchQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.ResourceType == GateSearchOf)
        {
            GateReached.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken);
        }
        return await inner.SearchAsync(tenant, query, cancellationToken);
    }

    public Task<ImmutableArray<ChangeRecord>> ReadChangesAsync(long afterSequence, int max, CancellationToken cancellationToken = default) =>
        inner.ReadChangesAsync(afterSequence, max, cancellationToken);
}
