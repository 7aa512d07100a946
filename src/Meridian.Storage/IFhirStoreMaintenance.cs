using System.Collections.Immutable;

namespace Meridian.Storage;

/// <summary>
/// Hard deletes, the one thing the versioned store otherwise never does: a patient's
/// <c>$purge</c> (right to erasure) and retention. Kept apart from <see cref="IFhirStore"/> so
/// the everyday contract stays "every version is kept"; both relational providers implement it.
/// Purging removes every version, every index row and the change-feed rows of a resource, and
/// leaves one <see cref="ChangeKind.Purge"/> marker in the change feed, so a subscriber learns
/// that the resource is gone without learning what it held.
/// </summary>
public interface IFhirStoreMaintenance
{
    /// <summary>Hard-deletes <paramref name="resources"/> (all versions) in one transaction.
    /// Names that do not exist are ignored. A failure (conflicts that outlasted the retries) is
    /// a value, and then nothing was removed.</summary>
    Task<PurgeResult> PurgeAsync(string tenant, IReadOnlyList<ResourceRef> resources, TransactOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> resources of <paramref name="type"/> whose newest
    /// version (deleted or not) was written before <paramref name="updatedBefore"/>, oldest first.</summary>
    Task<ImmutableArray<ResourceRef>> FindExpiredAsync(string tenant, string type, DateTimeOffset updatedBefore, int max, CancellationToken cancellationToken = default);

    /// <summary>Resources of <paramref name="type"/> whose newest version is a delete (the delete
    /// versions), a page at a time: their earlier versions are out of the search index, so a
    /// patient's purge finds the deleted part of the record through this.</summary>
    Task<DeletedPage> DeletedAsync(string tenant, string type, string? cursor, int max, CancellationToken cancellationToken = default);

    /// <summary>Every tenant that has at least one stored version.</summary>
    Task<ImmutableArray<string>> TenantsAsync(CancellationToken cancellationToken = default);
}

/// <summary>A resource by type and id.</summary>
public sealed record ResourceRef(string Type, string Id)
{
    public override string ToString() => Type + "/" + Id;
}

/// <summary>Delete versions and the cursor of the next page (null on the last).</summary>
public sealed record DeletedPage(ImmutableArray<StoredResource> Deletions, string? NextCursor);

/// <summary>What a purge removed: resources and versions, or why nothing was removed.</summary>
public sealed record PurgeResult(int Resources, int Versions, StoreFailure? Failure = null)
{
    public bool Succeeded => Failure is null;
}
