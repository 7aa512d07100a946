namespace Meridian.Storage.Protection;

/// <summary>
/// Encrypts resource JSON on its way into the store and decrypts it on the way out. The
/// relational store calls it exactly where the <c>json</c> column is bound and read back; a
/// null protector (<see cref="StoreOptions.Protector"/>) stores plaintext.
/// <para>The key table is handed in by the store because where it may be read depends on the
/// caller: inside a write transaction (so a tenant's first data key commits or rolls back
/// together with the rows it encrypted) or on a reader connection.</para>
/// </summary>
public interface IPayloadProtector
{
    /// <summary>The stored form of <paramref name="plaintext"/> for the version at <paramref name="address"/>.</summary>
    ValueTask<byte[]> ProtectAsync(PayloadAddress address, byte[] plaintext, IDataKeyTable keys, CancellationToken cancellationToken);

    /// <summary>The plaintext of a stored payload. Throws <see cref="PayloadProtectionException"/>
    /// when it was altered, moved to another row, or its key is unavailable: never a wrong answer.</summary>
    ValueTask<byte[]> UnprotectAsync(PayloadAddress address, ReadOnlyMemory<byte> stored, IDataKeyTable keys, CancellationToken cancellationToken);
}

/// <summary>Which row a payload belongs to; bound into the ciphertext as associated data, so a
/// payload copied to another tenant, resource or version no longer decrypts.</summary>
public readonly record struct PayloadAddress(string Tenant, string Type, string Id, long Version)
{
    public override string ToString() => $"{Type}/{Id}/_history/{Version} (tenant '{Tenant}')";
}

/// <summary>A stored payload that cannot be decrypted: tampered, swapped, or its key is missing.</summary>
public sealed class PayloadProtectionException(string message, Exception? inner = null) : Exception(message, inner);
