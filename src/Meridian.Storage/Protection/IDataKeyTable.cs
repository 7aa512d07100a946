using System.Collections.Immutable;

namespace Meridian.Storage.Protection;

/// <summary>
/// The <c>data_keys</c> table as the protector sees it: per tenant, numbered data keys, each
/// stored once per master key that wraps it (a master-key rotation adds rows, it never
/// rewrites them in place, so running servers keep finding the wrap they can open).
/// </summary>
public interface IDataKeyTable
{
    /// <summary>The tenant's newest data key and its wrap under <paramref name="masterKeyId"/>
    /// (<see cref="DataKeyLookup.Wrapped"/> null when that master key has none); null when the
    /// tenant has no data key yet.</summary>
    Task<DataKeyLookup?> LatestAsync(string tenant, string masterKeyId, CancellationToken cancellationToken);

    /// <summary>Data key <paramref name="keyId"/> of the tenant wrapped under <paramref name="masterKeyId"/>, or null.</summary>
    Task<DataKeyLookup?> FindAsync(string tenant, int keyId, string masterKeyId, CancellationToken cancellationToken);

    /// <summary>Adds a new data key (in the caller's transaction when there is one).</summary>
    Task AddAsync(DataKeyRecord key, CancellationToken cancellationToken);
}

/// <param name="Committed">False when the key was added by the transaction still running: the
/// protector must not cache it beyond that transaction (it may roll back).</param>
public sealed record DataKeyLookup(int KeyId, byte[]? Wrapped, bool Committed);

/// <summary>One row of <c>data_keys</c>: data key <see cref="KeyId"/> of a tenant wrapped under one master key.</summary>
public sealed record DataKeyRecord(string Tenant, int KeyId, string MasterKeyId, byte[] Wrapped, DateTimeOffset CreatedAt);

/// <summary>Administration of the key table (start-up checks, <c>meridian keys</c>): implemented
/// by the relational store, each call its own transaction.</summary>
public interface IDataKeyStore
{
    Task<ImmutableArray<DataKeyRecord>> ListDataKeysAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts the rows that do not exist yet (same tenant, key id and master key); returns how many were inserted.</summary>
    Task<int> AddDataKeysAsync(IReadOnlyList<DataKeyRecord> keys, CancellationToken cancellationToken = default);

    /// <summary>Deletes every wrap under <paramref name="masterKeyId"/>; returns how many.</summary>
    Task<int> RemoveWrapsAsync(string masterKeyId, CancellationToken cancellationToken = default);

    /// <summary>Whether any resource version is stored (an unencrypted database must not be
    /// opened as an encrypted one, nor the reverse, without saying so).</summary>
    Task<bool> HasResourcesAsync(CancellationToken cancellationToken = default);
}
