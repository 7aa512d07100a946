using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Meridian.Identity.Jose;
using Meridian.Storage.Protection;
using Meridian.Storage.Records;

namespace Meridian.Identity.Tokens;

/// <summary>
/// The built-in server's signing keys: loaded once at start from <see cref="IdentityOptions.SigningKeyFile"/>
/// or from the data store (server-wide records of kind <c>signing-key</c>, sealed under the
/// master key: <see cref="SigningKeySeal"/>), generated there on the first start. Immutable afterwards; every tenant signs with the same key (the issuer URL
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

    public static Task<SigningKeyRing> LoadAsync(IdentityOptions options, ISystemRecordStore records, CancellationToken ct) =>
        LoadAsync(options, records, master: null, ct);

    /// <param name="master">The store's master key (encryption at rest): stored keys are sealed
    /// under it (<see cref="SigningKeySeal"/>), and plaintext keys from before sealing existed
    /// are re-sealed as they are loaded. Null: keys are stored as plain JWK JSON (a store
    /// without encryption at rest), and a sealed key stops start-up.</param>
    public static async Task<SigningKeyRing> LoadAsync(IdentityOptions options, ISystemRecordStore records, MasterKey? master, CancellationToken ct)
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
            var keys = ImmutableArray.CreateBuilder<JsonWebKey>(stored.Length);
            foreach (var record in stored)
            {
                if (await ReadAsync(record, master, records, ct).ConfigureAwait(false) is { } key)
                {
                    keys.Add(key);
                }
            }
            if (keys.Count > 0)
            {
                return new SigningKeyRing(keys[^1], keys.ToImmutable());
            }
            var fresh = JsonWebKey.Generate(JwsAlgorithm.RS256);
            var value = master is null ? Encoding.UTF8.GetBytes(fresh.ToJson()) : SigningKeySeal.Seal(fresh, [master]);
            // Create-only: when two servers start on one empty database, one key wins and both use it.
            await records.PutRecordAsync(SystemRecord.ServerWide, Kind, fresh.Kid!, value, SystemRecord.Absent, null, ct).ConfigureAwait(false);
        }
        throw new InvalidOperationException("No signing key could be stored or read.");
    }

    private static async Task<JsonWebKey?> ReadAsync(SystemRecord record, MasterKey? master, ISystemRecordStore records, CancellationToken ct)
    {
        if (SigningKeySeal.IsSealed(record.Value))
        {
            if (master is null)
            {
                throw new InvalidOperationException($"Token-signing key {record.Key} is sealed under a master key, but the store is opened without one (--master-key-file or MERIDIAN_MASTER_KEY).");
            }
            var opened = SigningKeySeal.Open(record.Value, master);
            return opened.IsSuccess ? opened.Value : throw new InvalidOperationException(opened.Error!.Description);
        }
        var parsed = JsonWebKey.Parse(Encoding.UTF8.GetString(record.Value));
        if (!parsed.IsSuccess || !parsed.Value.HasPrivateKey)
        {
            return null;
        }
        if (master is not null && parsed.Value.Kid is not null)
        {
            // Written before signing keys were sealed: seal it now, compare-and-swap on its
            // version (a server starting beside this one may have sealed it first: fine).
            await records.PutRecordAsync(SystemRecord.ServerWide, Kind, record.Key, SigningKeySeal.Seal(parsed.Value, [master]), record.Version, null, ct).ConfigureAwait(false);
        }
        return parsed.Value;
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
