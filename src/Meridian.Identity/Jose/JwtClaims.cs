using System.Collections.Immutable;
using System.Text.Json;

namespace Meridian.Identity.Jose;

/// <summary>The verified claims of a JWT (payload object) with typed accessors.</summary>
public sealed record JwtClaims(JsonElement Payload, string Algorithm, string? KeyId)
{
    public string? Issuer => GetString("iss");
    public string? Subject => GetString("sub");
    public string? Id => GetString("jti");
    public DateTimeOffset? Expires => GetTime("exp");
    public DateTimeOffset? IssuedAt => GetTime("iat");

    public bool Has(string name) => Payload.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public string? GetString(string name) =>
        Payload.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A claim that is one string or an array of strings (<c>aud</c>, roles).</summary>
    public ImmutableArray<string> GetStrings(string name)
    {
        if (!Payload.TryGetProperty(name, out var v))
        {
            return [];
        }
        if (v.ValueKind == JsonValueKind.String)
        {
            return [v.GetString()!];
        }
        if (v.ValueKind != JsonValueKind.Array)
        {
            return [];
        }
        var list = ImmutableArray.CreateBuilder<string>();
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.String)
            {
                list.Add(e.GetString()!);
            }
        }
        return list.ToImmutable();
    }

    /// <summary>Scopes from a space-separated <c>scope</c> string (RFC 8693/9068) or a <c>scp</c> array.</summary>
    public ImmutableArray<string> GetScopes(string name = "scope")
    {
        if (Payload.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
        {
            return [.. v.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        }
        return GetStrings(name == "scope" ? "scp" : name);
    }

    /// <summary>A NumericDate claim (seconds since the epoch, possibly fractional).</summary>
    public DateTimeOffset? GetTime(string name)
    {
        if (!Payload.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var seconds))
        {
            return null;
        }
        // Out-of-range dates are treated as absent (then rejected where the claim is required).
        return seconds is > -62_135_596_800 and < 253_402_300_799 ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)) : null;
    }
}
