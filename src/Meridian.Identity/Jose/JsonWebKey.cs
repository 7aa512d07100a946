using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Meridian.Identity.Jose;

/// <summary>
/// A JSON Web Key (RFC 7517/7518 §6) of type RSA or EC, public or private. Values are kept as
/// the raw big-endian bytes of the base64url members. Other key types (<c>oct</c>…) parse but
/// never fit a signature algorithm (<see cref="JwsAlgorithm.Fits"/>).
/// </summary>
public sealed record JsonWebKey
{
    public required string Kty { get; init; }
    public string? Kid { get; init; }
    public string? Alg { get; init; }
    public string? Use { get; init; }
    public string? Crv { get; init; }
    public byte[]? N { get; init; }
    public byte[]? E { get; init; }
    public byte[]? X { get; init; }
    public byte[]? Y { get; init; }
    public byte[]? D { get; init; }
    public byte[]? P { get; init; }
    public byte[]? Q { get; init; }
    public byte[]? DP { get; init; }
    public byte[]? DQ { get; init; }
    public byte[]? QI { get; init; }

    public bool HasPrivateKey => D is not null;

    /// <summary>Largest RSA modulus accepted: bigger keys only cost verification time.</summary>
    private const int MaxRsaModulusBytes = 8192 / 8;
    private const int MinRsaModulusBytes = 2048 / 8;

    public static JsonWebKey FromRsa(RSA rsa, bool includePrivate, string? alg = null, string? kid = null)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        var p = rsa.ExportParameters(includePrivate);
        var key = new JsonWebKey
        {
            Kty = "RSA", Alg = alg, Use = "sig", N = p.Modulus, E = p.Exponent,
            D = p.D, P = p.P, Q = p.Q, DP = p.DP, DQ = p.DQ, QI = p.InverseQ,
        };
        return key with { Kid = kid ?? key.Thumbprint() };
    }

    public static JsonWebKey FromECDsa(ECDsa ec, bool includePrivate, string? alg = null, string? kid = null)
    {
        ArgumentNullException.ThrowIfNull(ec);
        var p = ec.ExportParameters(includePrivate);
        var crv = p.Curve.Oid.FriendlyName switch
        {
            "nistP256" or "ECDSA_P256" => "P-256",
            "nistP384" or "ECDSA_P384" => "P-384",
            "nistP521" or "ECDSA_P521" => "P-521",
            var other => throw new ArgumentException($"Curve {other} has no JWK name.", nameof(ec)),
        };
        var key = new JsonWebKey { Kty = "EC", Alg = alg, Use = "sig", Crv = crv, X = p.Q.X, Y = p.Q.Y, D = p.D };
        return key with { Kid = kid ?? key.Thumbprint() };
    }

    /// <summary>A fresh signing key: RSA 2048 for RS*, the algorithm's curve for ES*.</summary>
    public static JsonWebKey Generate(JwsAlgorithm algorithm, string? kid = null)
    {
        ArgumentNullException.ThrowIfNull(algorithm);
        if (algorithm.KeyType == "RSA")
        {
            using var rsa = RSA.Create(2048);
            return FromRsa(rsa, includePrivate: true, algorithm.Name, kid);
        }
        using var ec = ECDsa.Create(algorithm.Curve == "P-256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
        return FromECDsa(ec, includePrivate: true, algorithm.Name, kid);
    }

    /// <summary>The same key without its private members (what a JWKS publishes).</summary>
    public JsonWebKey PublicOnly() => this with { D = null, P = null, Q = null, DP = null, DQ = null, QI = null };

    /// <summary>RFC 7638 JWK thumbprint (SHA-256), base64url: a stable key id.</summary>
    public string Thumbprint()
    {
        // Required members only, in lexicographic order, no whitespace.
        var canonical = Kty switch
        {
            "RSA" => $"{{\"e\":\"{B64(E)}\",\"kty\":\"RSA\",\"n\":\"{B64(N)}\"}}",
            "EC" => $"{{\"crv\":\"{Crv}\",\"kty\":\"EC\",\"x\":\"{B64(X)}\",\"y\":\"{B64(Y)}\"}}",
            _ => throw new InvalidOperationException($"No thumbprint for key type {Kty}."),
        };
        return Base64UrlText.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    private static string B64(byte[]? v) => v is null ? "" : Base64UrlText.Encode(v);

    public RSA CreateRsa()
    {
        var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters
        {
            Modulus = N, Exponent = E, D = D, P = P, Q = Q, DP = DP, DQ = DQ, InverseQ = QI,
        });
        return rsa;
    }

    public ECDsa CreateECDsa()
    {
        var curve = Crv switch
        {
            "P-256" => ECCurve.NamedCurves.nistP256,
            "P-384" => ECCurve.NamedCurves.nistP384,
            "P-521" => ECCurve.NamedCurves.nistP521,
            _ => throw new InvalidOperationException($"Curve {Crv} is not supported."),
        };
        return ECDsa.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = X, Y = Y }, D = D });
    }

    /// <summary>Reads one key; missing or malformed members are an error value, never an exception.</summary>
    public static Result<JsonWebKey> Parse(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return Result<JsonWebKey>.Fail("invalid_key", "A JWK must be a JSON object.");
        }
        var kty = Str(json, "kty");
        if (kty is null)
        {
            return Result<JsonWebKey>.Fail("invalid_key", "A JWK needs 'kty'.");
        }
        var key = new JsonWebKey { Kty = kty, Kid = Str(json, "kid"), Alg = Str(json, "alg"), Use = Str(json, "use"), Crv = Str(json, "crv") };
        var members = new[] { "n", "e", "x", "y", "d", "p", "q", "dp", "dq", "qi" };
        var values = new byte[]?[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            if (json.TryGetProperty(members[i], out var m))
            {
                if (m.ValueKind != JsonValueKind.String || !Base64UrlText.TryDecode(m.GetString(), out var bytes) || bytes.Length == 0)
                {
                    return Result<JsonWebKey>.Fail("invalid_key", $"JWK member '{members[i]}' is not base64url.");
                }
                values[i] = bytes;
            }
        }
        key = key with { N = values[0], E = values[1], X = values[2], Y = values[3], D = values[4], P = values[5], Q = values[6], DP = values[7], DQ = values[8], QI = values[9] };
        switch (kty)
        {
            case "RSA":
                if (key.N is null || key.E is null)
                {
                    return Result<JsonWebKey>.Fail("invalid_key", "An RSA JWK needs 'n' and 'e'.");
                }
                var modulus = key.N.AsSpan().TrimStart((byte)0).Length;
                if (modulus is < MinRsaModulusBytes or > MaxRsaModulusBytes)
                {
                    return Result<JsonWebKey>.Fail("invalid_key", "RSA keys must be 2048 to 8192 bits.");
                }
                break;
            case "EC":
                var size = key.Crv switch { "P-256" => 32, "P-384" => 48, "P-521" => 66, _ => 0 };
                if (size == 0 || key.X?.Length != size || key.Y?.Length != size)
                {
                    return Result<JsonWebKey>.Fail("invalid_key", "An EC JWK needs 'crv' (P-256, P-384, P-521) and coordinates 'x', 'y' of that size.");
                }
                break;
        }
        return Result<JsonWebKey>.Ok(key);
    }

    public static Result<JsonWebKey> Parse(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return Parse(doc.RootElement);
        }
        catch (JsonException)
        {
            return Result<JsonWebKey>.Fail("invalid_key", "The JWK is not JSON.");
        }
    }

    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("kty", Kty);
        Write(writer, "kid", Kid);
        Write(writer, "use", Use);
        Write(writer, "alg", Alg);
        Write(writer, "crv", Crv);
        Write(writer, "n", N);
        Write(writer, "e", E);
        Write(writer, "x", X);
        Write(writer, "y", Y);
        Write(writer, "d", D);
        Write(writer, "p", P);
        Write(writer, "q", Q);
        Write(writer, "dp", DP);
        Write(writer, "dq", DQ);
        Write(writer, "qi", QI);
        writer.WriteEndObject();
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void Write(Utf8JsonWriter w, string name, byte[]? value)
    {
        if (value is not null)
        {
            w.WriteString(name, Base64UrlText.Encode(value));
        }
    }

    private static string? Str(JsonElement json, string name) =>
        json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
