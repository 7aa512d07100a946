using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Meridian.Storage.Protection;

/// <summary>
/// The key-encryption key: 256 random bits from a file or an environment variable (base64),
/// never stored in the database. It only wraps and unwraps the per-tenant data keys (AES-256-GCM
/// with the tenant, data key id and master key id as associated data), so rotating it re-wraps
/// a few dozen bytes per data key instead of re-encrypting every resource.
/// </summary>
public sealed class MasterKey
{
    public const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    /// <summary>Length of a wrapped data key: nonce, encrypted key, tag.</summary>
    public const int WrappedSize = NonceSize + KeySize + TagSize;

    private static readonly byte[] s_idLabel = Encoding.ASCII.GetBytes("meridian.master-key-id.v1");
    private static readonly byte[] s_wrapLabel = Encoding.ASCII.GetBytes("meridian.data-key-wrap.v1");

    private readonly byte[] _key;

    private MasterKey(byte[] key)
    {
        _key = key;
        // A one-way fingerprint names the key in every wrap row without revealing it, and lets
        // a server tell "wrong master key" from "corrupted row" at start-up.
        var digest = SHA256.HashData([.. s_idLabel, .. key]);
        Id = "mk-" + Convert.ToHexStringLower(digest.AsSpan(0, 8));
    }

    /// <summary>The key's fingerprint, e.g. <c>mk-3f2a…</c>: stored next to every wrapped data key.</summary>
    public string Id { get; }

    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(KeySize));

    /// <summary>Parses base64 of exactly 32 bytes (e.g. <c>openssl rand -base64 32</c>).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out MasterKey? key, out string error)
    {
        key = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "the master key is empty";
            return false;
        }
        var buffer = new byte[text.Length];
        if (!Convert.TryFromBase64String(text.Trim(), buffer, out var written))
        {
            error = "the master key is not base64";
            return false;
        }
        if (written != KeySize)
        {
            error = $"the master key must be {KeySize} bytes (256 bits), base64-encoded; it has {written}";
            return false;
        }
        key = new MasterKey(buffer[..KeySize]);
        return true;
    }

    /// <summary>Reads a key file holding the base64 key (surrounding whitespace ignored).</summary>
    public static bool TryLoad(string path, [NotNullWhen(true)] out MasterKey? key, out string error)
    {
        key = null;
        if (!File.Exists(path))
        {
            error = $"master key file '{path}' does not exist";
            return false;
        }
        if (!TryParse(File.ReadAllText(path), out key, out var problem))
        {
            error = $"master key file '{path}': {problem}";
            return false;
        }
        error = "";
        return true;
    }

    /// <summary>Writes the key as base64 to a new file readable by the owner only (0600 on Unix);
    /// refuses to overwrite an existing file (that would orphan every key it wraps).</summary>
    public void WriteNewFile(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(Convert.ToBase64String(_key) + "\n"));
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Wraps a data key for <paramref name="tenant"/>: nonce ‖ ciphertext ‖ tag.</summary>
    public byte[] Wrap(string tenant, int keyId, ReadOnlySpan<byte> dataKey)
    {
        if (dataKey.Length != KeySize)
        {
            throw new ArgumentException($"a data key has {KeySize} bytes", nameof(dataKey));
        }
        var wrapped = new byte[WrappedSize];
        RandomNumberGenerator.Fill(wrapped.AsSpan(0, NonceSize));
        using var gcm = new AesGcm(_key, TagSize);
        gcm.Encrypt(wrapped.AsSpan(0, NonceSize), dataKey, wrapped.AsSpan(NonceSize, KeySize), wrapped.AsSpan(NonceSize + KeySize), WrapContext(tenant, keyId));
        return wrapped;
    }

    /// <summary>Unwraps a data key; false when the wrap was made by another master key, for
    /// another tenant or key id, or was altered.</summary>
    public bool TryUnwrap(string tenant, int keyId, ReadOnlySpan<byte> wrapped, [NotNullWhen(true)] out byte[]? dataKey)
    {
        dataKey = null;
        if (wrapped.Length != WrappedSize)
        {
            return false;
        }
        var key = new byte[KeySize];
        try
        {
            using var gcm = new AesGcm(_key, TagSize);
            gcm.Decrypt(wrapped[..NonceSize], wrapped.Slice(NonceSize, KeySize), wrapped[(NonceSize + KeySize)..], key, WrapContext(tenant, keyId));
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        dataKey = key;
        return true;
    }

    /// <summary>Associated data of a wrap: label, tenant, data key id and this key's id, so a
    /// wrap row copied to another tenant or key id fails to open.</summary>
    private byte[] WrapContext(string tenant, int keyId)
    {
        var tenantBytes = Encoding.UTF8.GetBytes(tenant);
        var idBytes = Encoding.ASCII.GetBytes(Id);
        var aad = new byte[s_wrapLabel.Length + 4 + tenantBytes.Length + 4 + 4 + idBytes.Length];
        var span = aad.AsSpan();
        s_wrapLabel.CopyTo(span);
        span = span[s_wrapLabel.Length..];
        BinaryPrimitives.WriteInt32BigEndian(span, tenantBytes.Length);
        tenantBytes.CopyTo(span[4..]);
        span = span[(4 + tenantBytes.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(span, keyId);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], idBytes.Length);
        idBytes.CopyTo(span[8..]);
        return aad;
    }
}
