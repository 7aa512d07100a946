using System.Security.Cryptography;

namespace Meridian.Storage.Protection;

/// <summary>The outcome of a key operation: what changed, and what stopped it (empty when it succeeded).</summary>
public sealed record KeyOperationResult(int Changed, IReadOnlyList<string> Problems)
{
    public bool Succeeded => Problems.Count == 0;
}

/// <summary>
/// Key rotation, safe while servers run: every operation only adds rows to <c>data_keys</c>
/// (or, for <see cref="RetireMasterAsync"/>, removes wraps nobody needs any more), and servers
/// cache unwrapped data keys by id, whose material never changes.
/// </summary>
public static class KeyRotation
{
    /// <summary>
    /// Master-key rotation, step 1: wraps every data key under <paramref name="next"/> too
    /// (unwrapped with <paramref name="current"/>). Idempotent: re-run it to catch data keys a
    /// server created under the old master key in the meantime.
    /// </summary>
    public static async Task<KeyOperationResult> RewrapAsync(IDataKeyStore store, MasterKey current, MasterKey next, TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        var rows = await store.ListDataKeysAsync(cancellationToken).ConfigureAwait(false);
        var problems = new List<string>();
        var add = new List<DataKeyRecord>();
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        foreach (var group in rows.GroupBy(r => (r.Tenant, r.KeyId)))
        {
            if (group.Any(r => r.MasterKeyId == next.Id))
            {
                continue;
            }
            var old = group.FirstOrDefault(r => r.MasterKeyId == current.Id);
            if (old is null || !current.TryUnwrap(old.Tenant, old.KeyId, old.Wrapped, out var material))
            {
                problems.Add($"data key {group.Key.Tenant}#{group.Key.KeyId} cannot be opened with master key {current.Id}");
                continue;
            }
            add.Add(new DataKeyRecord(old.Tenant, old.KeyId, next.Id, next.Wrap(old.Tenant, old.KeyId, material), now));
            CryptographicOperations.ZeroMemory(material);
        }
        if (problems.Count > 0)
        {
            return new KeyOperationResult(0, problems);
        }
        var added = add.Count == 0 ? 0 : await store.AddDataKeysAsync(add, cancellationToken).ConfigureAwait(false);
        return new KeyOperationResult(added, []);
    }

    /// <summary>
    /// Data-key rotation: adds the tenant's next data key, wrapped under each of
    /// <paramref name="masters"/> (every master key servers may run with). Servers switch new
    /// writes to it within their refresh interval; rows sealed with older keys stay readable.
    /// </summary>
    public static async Task<KeyOperationResult> NewDataKeyAsync(IDataKeyStore store, string tenant, IReadOnlyList<MasterKey> masters, TimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentNullException.ThrowIfNull(masters);
        if (masters.Count == 0)
        {
            return new KeyOperationResult(0, ["a new data key needs at least one master key to wrap it"]);
        }
        var rows = await store.ListDataKeysAsync(cancellationToken).ConfigureAwait(false);
        var next = rows.Where(r => r.Tenant == tenant).Select(r => r.KeyId).DefaultIfEmpty(0).Max() + 1;
        var material = RandomNumberGenerator.GetBytes(MasterKey.KeySize);
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        var add = masters.DistinctBy(m => m.Id).Select(m => new DataKeyRecord(tenant, next, m.Id, m.Wrap(tenant, next, material), now)).ToList();
        CryptographicOperations.ZeroMemory(material);
        var added = await store.AddDataKeysAsync(add, cancellationToken).ConfigureAwait(false);
        return added == add.Count
            ? new KeyOperationResult(added, [])
            : new KeyOperationResult(added, [$"data key {tenant}#{next} was created concurrently by another process; run the command again"]);
    }

    /// <summary>The tenants that have data keys (for rotating every tenant's data key).</summary>
    public static async Task<IReadOnlyList<string>> TenantsAsync(IDataKeyStore store, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var rows = await store.ListDataKeysAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Select(r => r.Tenant).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Master-key rotation, last step (after every server runs with the new key): removes the
    /// wraps under <paramref name="retiredMasterKeyId"/>. Refused while any data key has no
    /// other wrap — removing it would make that tenant's data unreadable.
    /// </summary>
    public static async Task<KeyOperationResult> RetireMasterAsync(IDataKeyStore store, string retiredMasterKeyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var rows = await store.ListDataKeysAsync(cancellationToken).ConfigureAwait(false);
        var orphans = rows.GroupBy(r => (r.Tenant, r.KeyId))
            .Where(g => g.All(r => r.MasterKeyId == retiredMasterKeyId))
            .Select(g => $"{g.Key.Tenant}#{g.Key.KeyId}")
            .ToList();
        if (orphans.Count > 0)
        {
            return new KeyOperationResult(0, [$"{orphans.Count} data key(s) are wrapped only under {retiredMasterKeyId}; run keys rotate --new-master-key-file first: {string.Join(", ", orphans.Take(5))}"]);
        }
        return new KeyOperationResult(await store.RemoveWrapsAsync(retiredMasterKeyId, cancellationToken).ConfigureAwait(false), []);
    }
}
