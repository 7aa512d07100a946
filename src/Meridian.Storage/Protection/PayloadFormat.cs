using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Meridian.Storage.Protection;

/// <summary>
/// The stored form of a resource version (format 1):
/// <c>0x01 ‖ data key id (uint32 big-endian) ‖ nonce (12) ‖ ciphertext ‖ tag (16)</c>,
/// AES-256-GCM with associated data = the 5 header bytes ‖ tenant ‖ type ‖ id (each UTF-8,
/// length-prefixed) ‖ version (int64 big-endian). Plain JSON never starts with 0x01, so the
/// first byte also tells an encrypted row from a plaintext one.
/// </summary>
public static class PayloadFormat
{
    public const byte Version1 = 1;
    public const int HeaderSize = 5;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int Overhead = HeaderSize + NonceSize + TagSize;

    public static byte[] Seal(int keyId, byte[] dataKey, PayloadAddress address, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[Overhead + plaintext.Length];
        output[0] = Version1;
        BinaryPrimitives.WriteInt32BigEndian(output.AsSpan(1), keyId);
        var nonce = output.AsSpan(HeaderSize, NonceSize);
        // Random 96-bit nonces: safe for 2^32 encryptions per data key (NIST SP 800-38D); a
        // data key rotation (meridian keys rotate --tenant) long before that resets the count.
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(dataKey, TagSize);
        gcm.Encrypt(nonce, plaintext, output.AsSpan(HeaderSize + NonceSize, plaintext.Length), output.AsSpan(output.Length - TagSize), AssociatedData(output.AsSpan(0, HeaderSize), address));
        return output;
    }

    /// <summary>The data key id of a format-1 payload; false for anything else (plaintext JSON, truncated bytes).</summary>
    public static bool TryReadKeyId(ReadOnlySpan<byte> stored, out int keyId)
    {
        keyId = 0;
        if (stored.Length < Overhead || stored[0] != Version1)
        {
            return false;
        }
        keyId = BinaryPrimitives.ReadInt32BigEndian(stored[1..]);
        return true;
    }

    /// <summary>Decrypts and authenticates; false when the bytes, the key or the address do not match.</summary>
    public static bool TryOpen(byte[] dataKey, PayloadAddress address, ReadOnlySpan<byte> stored, [NotNullWhen(true)] out byte[]? plaintext)
    {
        plaintext = null;
        if (stored.Length < Overhead)
        {
            return false;
        }
        var result = new byte[stored.Length - Overhead];
        try
        {
            using var gcm = new AesGcm(dataKey, TagSize);
            gcm.Decrypt(stored.Slice(HeaderSize, NonceSize), stored.Slice(HeaderSize + NonceSize, result.Length), stored[^TagSize..], result, AssociatedData(stored[..HeaderSize], address));
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        plaintext = result;
        return true;
    }

    private static byte[] AssociatedData(ReadOnlySpan<byte> header, PayloadAddress address)
    {
        var encoding = Encoding.UTF8;
        var size = HeaderSize + 12 + encoding.GetByteCount(address.Tenant) + encoding.GetByteCount(address.Type) + encoding.GetByteCount(address.Id) + 8;
        var aad = new byte[size];
        header.CopyTo(aad);
        var at = HeaderSize;
        foreach (var part in (ReadOnlySpan<string>)[address.Tenant, address.Type, address.Id])
        {
            var n = encoding.GetBytes(part, aad.AsSpan(at + 4));
            BinaryPrimitives.WriteInt32BigEndian(aad.AsSpan(at), n);
            at += 4 + n;
        }
        BinaryPrimitives.WriteInt64BigEndian(aad.AsSpan(at), address.Version);
        return aad;
    }
}
