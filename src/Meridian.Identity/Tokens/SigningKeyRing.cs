using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Meridian.Identity.Jose;
using Meridian.Storage.Records;

namespace Meridian.Identity.Tokens;

/// <summary>
/// The built-in server's signing keys: loaded once at start from <see cref="IdentityOptions.SigningKeyFile"/>
/// or from the data store (server-wide records of kind <c>signing-key</c>), generated there on
/// the first start. Immutable afterwards; every tenant signs with the same key (the issuer URL
/// and audience, not the key, separate tenants).
/// </summary>
public sealed class SigningKeyRing
{
    public const string Kind = "signing-key";

    private SigningKeyRing(JsonWebKey current, ImmutableArray<JsonWebKey> all)
    {
        Current = current;
        Algorithm = JwsAlgorithm.Find(current.Alg) ?? throw new InvalidOperationException("Signing key without a supported alg.");
        PublicKeys = [.. all.Select(k => k.PublicOnly())];
    }

    /// <summary>The key new tokens are signed with (private).</summary>
    public JsonWebKey Current { get; }

    public JwsAlgorithm Algorithm { get; }

    /// <summary>Every key tokens may be verified with (public parts): the JWKS.</summary>
    public ImmutableArray<JsonWebKey> PublicKeys { get; }

    public JsonWebKeySet Jwks => new(PublicKeys);

    public static async Task<SigningKeyRing> LoadAsync(IdentityOptions options, ISystemRecordStore records, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(records);
        if (options.SigningKeyFile is { } file)
        {
            var key = ReadKeyFile(await File.ReadAllTextAsync(file, ct).ConfigureAwait(false));
            return new SigningKeyRing(key, [key]);
        }
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var stored = await records.ListRecordsAsync(SystemRecord.ServerWide, Kind, ct).ConfigureAwait(false);
            if (stored.Length > 0)
            {
                var keys = stored.Select(r => JsonWebKey.Parse(Encoding.UTF8.GetString(r.Value)))
                    .Where(r => r.IsSuccess && r.Value.HasPrivateKey).Select(r => r.Value).ToImmutableArray();
                if (keys.Length > 0)
                {
                    return new SigningKeyRing(keys[^1], keys);
                }
            }
            var fresh = JsonWebKey.Generate(JwsAlgorithm.RS256);
            // Create-only: when two servers start on one empty database, one key wins and both use it.
            await records.PutRecordAsync(SystemRecord.ServerWide, Kind, fresh.Kid!, Encoding.UTF8.GetBytes(fresh.ToJson()), SystemRecord.Absent, null, ct).ConfigureAwait(false);
        }
        throw new InvalidOperationException("No signing key could be stored or read.");
    }

    /// <summary>A private key as JWK JSON (with <c>alg</c>) or PEM (RSA → RS256, P-256 → ES256, P-384 → ES384).</summary>
    public static JsonWebKey ReadKeyFile(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.TrimStart().StartsWith('{'))
        {
            var parsed = JsonWebKey.Parse(text);
            if (!parsed.IsSuccess || !parsed.Value.HasPrivateKey)
            {
                throw new InvalidOperationException("The signing key file is not a private JWK: " + parsed.Error?.Description);
            }
            var key = parsed.Value;
            key = key with { Alg = key.Alg ?? (key.Kty == "RSA" ? "RS256" : key.Crv == "P-384" ? "ES384" : "ES256"), Kid = key.Kid ?? key.Thumbprint() };
            return JwsAlgorithm.Find(key.Alg)?.Fits(key) == true ? key : throw new InvalidOperationException($"The signing key cannot sign {key.Alg}.");
        }
        if (text.Contains("EC PRIVATE KEY", StringComparison.Ordinal) || TryEc(text, out _))
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(text);
            var alg = ec.KeySize == 384 ? "ES384" : "ES256";
            return JsonWebKey.FromECDsa(ec, includePrivate: true, alg);
        }
        using var rsa = RSA.Create();
        rsa.ImportFromPem(text);
        return JsonWebKey.FromRsa(rsa, includePrivate: true, "RS256");
    }

    private static bool TryEc(string pem, out int size)
    {
        size = 0;
        try
        {
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            size = ec.KeySize;
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }
    }
}
