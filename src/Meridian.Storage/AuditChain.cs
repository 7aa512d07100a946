using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Security.Cryptography;

namespace Meridian.Storage;

/// <summary>
/// The per-tenant hash chain over the versions of <see cref="StoreOptions.ChainedTypes"/>
/// (the audit trail). Link <c>n</c> stores <c>hash_n = SHA-256(hash_(n-1) ‖ n as 8 bytes
/// big-endian ‖ the version's stored JSON bytes)</c>, with 32 zero bytes before link 1, so
/// changing, removing, inserting or reordering any record breaks every later hash. The store
/// appends links in the writing transaction (serialised per tenant); verification lives in
/// Meridian.Audit and reads through <see cref="IAuditChainReader"/>.
/// </summary>
public static class AuditChain
{
    public const int HashSize = 32;

    /// <summary>The "previous hash" of the first link.</summary>
    public static ImmutableArray<byte> Genesis { get; } = ImmutableArray.Create(new byte[HashSize]);

    public static byte[] Link(ReadOnlySpan<byte> previousHash, long sequence, ReadOnlySpan<byte> record)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(previousHash);
        Span<byte> seq = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(seq, sequence);
        hash.AppendData(seq);
        hash.AppendData(record);
        return hash.GetHashAndReset();
    }

    /// <summary>SHA-256 of the record alone, kept beside the link so a verifier can tell a
    /// changed record from a broken link.</summary>
    public static byte[] Record(ReadOnlySpan<byte> record) => SHA256.HashData(record);
}

/// <summary>One link as stored, with the JSON of the version it names as the resource table
/// holds it now (null when that version row is gone).</summary>
public sealed record ChainLink(
    long Sequence,
    string Type,
    string Id,
    long VersionId,
    DateTimeOffset At,
    ReadOnlyMemory<byte> RecordHash,
    ReadOnlyMemory<byte> PreviousHash,
    ReadOnlyMemory<byte> Hash,
    ReadOnlyMemory<byte>? Json);

/// <summary>A version of a chained type that no link names (a row inserted behind the store's back).</summary>
public sealed record UnchainedVersion(string Type, string Id, long VersionId, DateTimeOffset LastUpdated);

/// <summary>Raw read access to the chain for verification (both relational providers implement it).</summary>
public interface IAuditChainReader
{
    /// <summary>Tenants that have links or versions of <paramref name="types"/>.</summary>
    Task<ImmutableArray<string>> ChainTenantsAsync(IReadOnlyList<string> types, CancellationToken cancellationToken = default);

    /// <summary>Links with a sequence greater than <paramref name="afterSequence"/>, in sequence order.</summary>
    Task<ImmutableArray<ChainLink>> ReadChainAsync(string tenant, long afterSequence, int max, CancellationToken cancellationToken = default);

    /// <summary>Versions of <paramref name="types"/> without a link, oldest first.</summary>
    Task<ImmutableArray<UnchainedVersion>> ReadUnchainedAsync(string tenant, IReadOnlyList<string> types, int max, CancellationToken cancellationToken = default);
}
