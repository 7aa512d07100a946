using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Meridian.Identity.Jose;

/// <summary>A compact JWS split and decoded, not yet verified.</summary>
public sealed record ParsedJws(JsonElement Header, JsonElement Payload, byte[] SigningInput, byte[] Signature, string Alg, string? Kid, string? Typ);

/// <summary>
/// Compact JWS serialization (RFC 7515 §7.1): sign and parse. Only the algorithms of
/// <see cref="JwsAlgorithm"/> exist here; a header naming anything else (<c>none</c>, <c>HS256</c>)
/// never reaches a key. Header keys (<c>jwk</c>, <c>jku</c>, <c>x5u</c>, <c>x5c</c>) are
/// ignored: the verifier's own key set decides, never the token.
/// </summary>
public static class CompactJws
{
    private static readonly JsonDocumentOptions s_json = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    /// <summary>Signs <paramref name="payloadJson"/> with <paramref name="key"/> (which must hold its private part).</summary>
    public static string Sign(JsonWebKey key, JwsAlgorithm algorithm, ReadOnlySpan<byte> payloadJson, string? typ = "JWT")
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(algorithm);
        if (!key.HasPrivateKey || !algorithm.Fits(key))
        {
            throw new ArgumentException($"Key {key.Kid} cannot sign {algorithm.Name}.", nameof(key));
        }
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            w.WriteString("alg", algorithm.Name);
            if (key.Kid is not null)
            {
                w.WriteString("kid", key.Kid);
            }
            if (typ is not null)
            {
                w.WriteString("typ", typ);
            }
            w.WriteEndObject();
        }
        var signingInput = Base64UrlText.Encode(header.ToArray()) + "." + Base64UrlText.Encode(payloadJson);
        var data = Encoding.ASCII.GetBytes(signingInput);
        byte[] signature;
        if (algorithm.KeyType == "RSA")
        {
            using var rsa = key.CreateRsa();
            signature = rsa.SignData(data, algorithm.Hash, RSASignaturePadding.Pkcs1);
        }
        else
        {
            using var ec = key.CreateECDsa();
            signature = ec.SignData(data, algorithm.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        return signingInput + "." + Base64UrlText.Encode(signature);
    }

    /// <summary>Splits and decodes a compact JWS whose payload is a JSON object (a JWT).</summary>
    public static Result<ParsedJws> Parse(string token, int maxLength)
    {
        if (string.IsNullOrEmpty(token))
        {
            return Fail("The token is empty.");
        }
        if (token.Length > maxLength)
        {
            return Fail("The token is too large.");
        }
        var first = token.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : token.IndexOf('.', first + 1);
        if (first < 0 || second < 0 || token.IndexOf('.', second + 1) >= 0)
        {
            return Fail("The token is not a compact JWS (three base64url parts).");
        }
        if (!Base64UrlText.TryDecode(token.AsSpan(0, first), out var headerBytes)
            || !Base64UrlText.TryDecode(token.AsSpan(first + 1, second - first - 1), out var payloadBytes)
            || !Base64UrlText.TryDecode(token.AsSpan(second + 1), out var signature))
        {
            return Fail("The token is not valid base64url.");
        }
        JsonElement header, payload;
        try
        {
            using var h = JsonDocument.Parse(headerBytes, s_json);
            header = h.RootElement.Clone();
            using var p = JsonDocument.Parse(payloadBytes, s_json);
            payload = p.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Fail("The token header or payload is not JSON (or repeats a member).");
        }
        if (header.ValueKind != JsonValueKind.Object || payload.ValueKind != JsonValueKind.Object)
        {
            return Fail("The token header and payload must be JSON objects.");
        }
        if (!header.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String)
        {
            return Fail("The token header has no 'alg'.");
        }
        if (header.TryGetProperty("crit", out _))
        {
            // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
            return Fail("The token header has critical extensions this server does not support.");
        }
        if (header.TryGetProperty("b64", out _))
        {
            return Fail("Unencoded payloads (b64) are not supported.");
        }
        return Result<ParsedJws>.Ok(new ParsedJws(
            header, payload, Encoding.ASCII.GetBytes(token.AsSpan(0, second).ToString()), signature,
            alg.GetString()!, StringOf(header, "kid"), StringOf(header, "typ")));
    }

    /// <summary>Checks the signature with one key under one algorithm (the caller chose both).</summary>
    public static bool Verify(ParsedJws jws, JsonWebKey key, JwsAlgorithm algorithm)
    {
        ArgumentNullException.ThrowIfNull(jws);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(algorithm);
        if (!algorithm.Fits(key))
        {
            return false;
        }
        try
        {
            if (algorithm.KeyType == "RSA")
            {
                using var rsa = key.CreateRsa();
                return jws.Signature.Length == rsa.KeySize / 8
                    && rsa.VerifyData(jws.SigningInput, jws.Signature, algorithm.Hash, RSASignaturePadding.Pkcs1);
            }
            using var ec = key.CreateECDsa();
            // Raw r||s of the curve's size (RFC 7518 §3.4), never DER.
            return jws.Signature.Length == algorithm.EcSignatureBytes
                && ec.VerifyData(jws.SigningInput, jws.Signature, algorithm.Hash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (CryptographicException)
        {
            return false; // a malformed key (e.g. a point not on the curve) verifies nothing
        }
    }

    private static string? StringOf(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static Result<ParsedJws> Fail(string description) => Result<ParsedJws>.Fail("invalid_token", description);
}
