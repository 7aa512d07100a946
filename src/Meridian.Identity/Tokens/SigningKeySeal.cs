using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meridian.Identity.Jose;
using Meridian.Storage.Protection;

namespace Meridian.Identity.Tokens;

/// <summary>
/// The stored form of a token-signing key: envelope encryption under the same master key as the
/// resource JSON (ADR 0016), self-contained in the record so it needs no tenant data key.
/// <code>{"sealed":1,"kid":"…","wraps":[{"master":"mk-…","key":"base64"}],"payload":"base64"}</code>
/// A fresh 256-bit key seals the JWK JSON (<see cref="PayloadFormat"/>, AES-256-GCM, bound to
/// the kid); that key is wrapped by each master key servers may run with (<see cref="MasterKey.Wrap"/>,
/// bound to the kid too), so a master-key rotation adds a wrap and retiring removes one, exactly
/// like the <c>data_keys</c> rows. Records written before sealing existed are plain JWK JSON;
/// <see cref="IsSealed"/> tells them apart so they stay readable until re-sealed.
/// </summary>
public static class SigningKeySeal
{
    private const string WrapPrefix = "meridian.signing-key:";

    /// <summary>Whether a stored record is sealed (else: a legacy plaintext JWK).</summary>
    public static bool IsSealed(ReadOnlySpan<byte> stored)
    {
        try
        {
            var reader = new Utf8JsonReader(stored);
            using var doc = JsonDocument.ParseValue(ref reader);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("sealed", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Seals <paramref name="key"/> (which must have a kid) under every one of <paramref name="masters"/>.</summary>
    public static byte[] Seal(JsonWebKey key, IReadOnlyList<MasterKey> masters)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(masters);
        var kid = key.Kid ?? throw new ArgumentException("a signing key needs a kid", nameof(key));
        var dataKey = RandomNumberGenerator.GetBytes(MasterKey.KeySize);
        try
        {
            var payload = PayloadFormat.Seal(0, dataKey, Address(kid), Encoding.UTF8.GetBytes(key.ToJson()));
            return Write(kid, masters.DistinctBy(m => m.Id).Select(m => (m.Id, m.Wrap(WrapPrefix + kid, 0, dataKey))), payload);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>Opens a sealed record with <paramref name="master"/>; a failure says why (no wrap for this master key, altered record).</summary>
    public static Result<JsonWebKey> Open(ReadOnlySpan<byte> stored, MasterKey master)
    {
        ArgumentNullException.ThrowIfNull(master);
        if (!TryRead(stored, out var sealedKey))
        {
            return Result<JsonWebKey>.Fail("sealed", "the signing key record is not a sealed key");
        }
        if (!sealedKey.Wraps.TryGetValue(master.Id, out var wrap))
        {
            return Result<JsonWebKey>.Fail("wrap", $"signing key {sealedKey.Kid} is not wrapped under master key {master.Id} (wrapped under {string.Join(", ", sealedKey.Wraps.Keys)}): run meridian keys rotate with this master key");
        }
        if (!master.TryUnwrap(WrapPrefix + sealedKey.Kid, 0, wrap, out var dataKey))
        {
            return Result<JsonWebKey>.Fail("altered", $"signing key {sealedKey.Kid}: its wrap under {master.Id} does not open (altered record)");
        }
        try
        {
            if (!PayloadFormat.TryOpen(dataKey, Address(sealedKey.Kid), sealedKey.Payload, out var json))
            {
                return Result<JsonWebKey>.Fail("altered", $"signing key {sealedKey.Kid} failed authentication (altered record)");
            }
            var key = JsonWebKey.Parse(Encoding.UTF8.GetString(json));
            return key.IsSuccess && key.Value.Kid == sealedKey.Kid && key.Value.HasPrivateKey
                ? key
                : Result<JsonWebKey>.Fail("altered", $"signing key {sealedKey.Kid} does not hold its private key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// Master-key rotation, step 1: the record with a wrap under <paramref name="next"/> added
    /// (opened with <paramref name="current"/>); null when it already has one. A failure when the
    /// record does not open with <paramref name="current"/>.
    /// </summary>
    public static Result<byte[]?> AddWrap(ReadOnlySpan<byte> stored, MasterKey current, MasterKey next)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(next);
        if (!TryRead(stored, out var sealedKey))
        {
            return Result<byte[]?>.Fail("sealed", "the signing key record is not a sealed key");
        }
        if (sealedKey.Wraps.ContainsKey(next.Id))
        {
            return Result<byte[]?>.Ok(null);
        }
        if (!sealedKey.Wraps.TryGetValue(current.Id, out var wrap) || !current.TryUnwrap(WrapPrefix + sealedKey.Kid, 0, wrap, out var dataKey))
        {
            return Result<byte[]?>.Fail("wrap", $"signing key {sealedKey.Kid} cannot be opened with master key {current.Id}");
        }
        try
        {
            var wraps = sealedKey.Wraps.Select(w => (w.Key, w.Value)).Append((next.Id, next.Wrap(WrapPrefix + sealedKey.Kid, 0, dataKey)));
            return Result<byte[]?>.Ok(Write(sealedKey.Kid, wraps, sealedKey.Payload));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// Master-key rotation, last step: the record without its wrap under <paramref name="masterKeyId"/>;
    /// null when it has none; a failure when that is its only wrap (the key would be lost).
    /// </summary>
    public static Result<byte[]?> RemoveWrap(ReadOnlySpan<byte> stored, string masterKeyId)
    {
        if (!TryRead(stored, out var sealedKey))
        {
            return Result<byte[]?>.Fail("sealed", "the signing key record is not a sealed key");
        }
        if (!sealedKey.Wraps.ContainsKey(masterKeyId))
        {
            return Result<byte[]?>.Ok(null);
        }
        if (sealedKey.Wraps.Count == 1)
        {
            return Result<byte[]?>.Fail("orphan", $"signing key {sealedKey.Kid} is wrapped only under {masterKeyId}; run keys rotate --new-master-key-file first");
        }
        return Result<byte[]?>.Ok(Write(sealedKey.Kid, sealedKey.Wraps.Where(w => w.Key != masterKeyId).Select(w => (w.Key, w.Value)), sealedKey.Payload));
    }

    private static PayloadAddress Address(string kid) => new("", "signing-key", kid, 1);

    private sealed record SealedKey(string Kid, IReadOnlyDictionary<string, byte[]> Wraps, byte[] Payload);

    private static bool TryRead(ReadOnlySpan<byte> stored, out SealedKey sealedKey)
    {
        sealedKey = null!;
        try
        {
            var reader = new Utf8JsonReader(stored);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("sealed", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != 1
                || !root.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("wraps", out var wraps) || wraps.ValueKind != JsonValueKind.Array)
            {
                return false;
            }
            var byMaster = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var w in wraps.EnumerateArray())
            {
                if (w.ValueKind == JsonValueKind.Object && w.TryGetProperty("master", out var m) && m.ValueKind == JsonValueKind.String
                    && w.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String && k.TryGetBytesFromBase64(out var bytes))
                {
                    byMaster[m.GetString()!] = bytes;
                }
            }
            if (!payload.TryGetBytesFromBase64(out var sealedPayload))
            {
                return false;
            }
            sealedKey = new SealedKey(kid.GetString()!, byMaster, sealedPayload);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static byte[] Write(string kid, IEnumerable<(string Master, byte[] Wrap)> wraps, byte[] payload)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("sealed", 1);
            w.WriteString("kid", kid);
            w.WriteStartArray("wraps");
            foreach (var (master, wrap) in wraps)
            {
                w.WriteStartObject();
                w.WriteString("master", master);
                w.WriteBase64String("key", wrap);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteBase64String("payload", payload);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
