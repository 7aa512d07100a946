using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Meridian.Identity.Jose;

/// <summary>
/// The JWS algorithms Meridian signs and verifies (RFC 7518 §3): RSASSA-PKCS1-v1_5 and ECDSA
/// with SHA-256/384. Each binds a key type (and curve), so a key can only ever verify the
/// algorithm family it was made for: no HMAC, no <c>none</c>.
/// </summary>
public sealed record JwsAlgorithm(string Name, string KeyType, HashAlgorithmName Hash, string? Curve, int EcSignatureBytes)
{
    public static readonly JwsAlgorithm RS256 = new("RS256", "RSA", HashAlgorithmName.SHA256, null, 0);
    public static readonly JwsAlgorithm RS384 = new("RS384", "RSA", HashAlgorithmName.SHA384, null, 0);
    public static readonly JwsAlgorithm ES256 = new("ES256", "EC", HashAlgorithmName.SHA256, "P-256", 64);
    public static readonly JwsAlgorithm ES384 = new("ES384", "EC", HashAlgorithmName.SHA384, "P-384", 96);

    private static readonly FrozenDictionary<string, JwsAlgorithm> s_byName =
        new[] { RS256, RS384, ES256, ES384 }.ToFrozenDictionary(a => a.Name, StringComparer.Ordinal);

    /// <summary>Every algorithm this implementation can verify.</summary>
    public static IReadOnlyCollection<string> Supported => s_byName.Keys;

    /// <summary>The algorithm named exactly (case-sensitive, RFC 7515 §4.1.1), or null.</summary>
    public static JwsAlgorithm? Find(string? name) => name is not null && s_byName.TryGetValue(name, out var a) ? a : null;

    /// <summary>True when <paramref name="key"/> may be used with this algorithm: same key type,
    /// the curve this algorithm needs, and the key's own <c>alg</c> (if any) naming it.</summary>
    public bool Fits(JsonWebKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Kty == KeyType
            && (key.Alg is null || key.Alg == Name)
            && (key.Use is null || key.Use == "sig")
            && (Curve is null || key.Crv == Curve);
    }
}
