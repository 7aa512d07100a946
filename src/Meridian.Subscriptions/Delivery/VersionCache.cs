using System.Collections.Concurrent;
using Meridian.Storage;

namespace Meridian.Subscriptions.Delivery;

/// <summary>
/// The resource versions the consumer just matched, kept for the delivery workers so a
/// full-resource notification does not read the same version again (a change matched by several
/// subscriptions would otherwise be read once per subscription). Bounded, oldest out first;
/// a miss simply reads the store. Holds decrypted JSON in memory only, like any request would.
/// </summary>
public sealed class VersionCache(int capacity = 10_000)
{
    private readonly ConcurrentDictionary<(string Tenant, string Type, string Id, long Version), StoredResource> _items = new();
    private readonly ConcurrentQueue<(string, string, string, long)> _order = new();

    public void Put(StoredResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var key = (resource.Tenant, resource.Type, resource.Id, resource.VersionId);
        if (_items.TryAdd(key, resource))
        {
            _order.Enqueue(key);
            while (_items.Count > capacity && _order.TryDequeue(out var old))
            {
                _items.TryRemove(old, out _);
            }
        }
    }

    public async Task<StoredResource?> ReadAsync(IFhirStore store, string tenant, string type, string id, long version, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        return _items.TryGetValue((tenant, type, id, version), out var hit)
            ? hit
            : await store.ReadVersionAsync(tenant, type, id, version, ct).ConfigureAwait(false);
    }
}
