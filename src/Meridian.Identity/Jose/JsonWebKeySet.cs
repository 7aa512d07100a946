using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace Meridian.Identity.Jose;

/// <summary>A JWK Set (RFC 7517 §5): <c>{"keys":[…]}</c>. Keys of unknown types are skipped, as §5 asks.</summary>
public sealed record JsonWebKeySet(ImmutableArray<JsonWebKey> Keys)
{
    /// <summary>Largest JWKS document read (a client's registered keys, an issuer's JWKS file).</summary>
    public const int MaxBytes = 256 * 1024;

    public static Result<JsonWebKeySet> Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (Encoding.UTF8.GetByteCount(json) > MaxBytes)
        {
            return Result<JsonWebKeySet>.Fail("invalid_jwks", "The JWK Set is too large.");
        }
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 16 });
            return Parse(doc.RootElement);
        }
        catch (JsonException)
        {
            return Result<JsonWebKeySet>.Fail("invalid_jwks", "The JWK Set is not JSON.");
        }
    }

    public static Result<JsonWebKeySet> Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            return Result<JsonWebKeySet>.Fail("invalid_jwks", "A JWK Set is an object with a 'keys' array.");
        }
        var list = ImmutableArray.CreateBuilder<JsonWebKey>();
        foreach (var k in keys.EnumerateArray())
        {
            var key = JsonWebKey.Parse(k);
            if (!key.IsSuccess)
            {
                return Result<JsonWebKeySet>.Fail("invalid_jwks", key.Error!.Description);
            }
            if (key.Value.Kty is "RSA" or "EC")
            {
                list.Add(key.Value);
            }
        }
        return Result<JsonWebKeySet>.Ok(new JsonWebKeySet(list.ToImmutable()));
    }

    /// <summary>The set as JSON; <paramref name="publicOnly"/> strips private members (for publishing).</summary>
    public string ToJson(bool publicOnly = true)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("keys");
            foreach (var k in Keys)
            {
                (publicOnly ? k.PublicOnly() : k).WriteTo(writer);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
