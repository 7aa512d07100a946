using System.Collections.Immutable;
using System.Text.Json;

namespace Meridian.Identity.Jose;

/// <summary>What a JWT must satisfy to be accepted. Every check is on unless relaxed here.</summary>
public sealed record JwtValidationParameters
{
    /// <summary>The only keys that may verify the token (the token never supplies its own).</summary>
    public required ImmutableArray<JsonWebKey> Keys { get; init; }

    /// <summary>Algorithms accepted at all; each key further restricts by its type, curve and <c>alg</c>.</summary>
    public ImmutableArray<string> Algorithms { get; init; } = ["RS256", "RS384", "ES256", "ES384"];

    /// <summary>Accepted <c>iss</c> values; empty means the issuer is not checked (only for client assertions, whose iss is compared by the caller).</summary>
    public ImmutableArray<string> Issuers { get; init; } = [];

    /// <summary>Accepted audiences: at least one of the token's <c>aud</c> must be among them. Empty means not checked.</summary>
    public ImmutableArray<string> Audiences { get; init; } = [];

    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest token accepted, in characters (a guard against parser and crypto cost).</summary>
    public int MaxTokenLength { get; init; } = 16 * 1024;

    /// <summary>When set, <c>exp</c> may lie at most this far ahead (SMART client assertions: 5 minutes).</summary>
    public TimeSpan? MaxLifetime { get; init; }

    /// <summary>Claims that must be present (besides <c>exp</c>, which always is).</summary>
    public ImmutableArray<string> RequiredClaims { get; init; } = [];

    /// <summary>When set, the header <c>typ</c> must equal it (case-insensitive, RFC 7515 §4.1.9).</summary>
    public string? RequiredType { get; init; }

    public required DateTimeOffset Now { get; init; }
}

/// <summary>
/// Verifies a compact JWS JWT strictly: size, structure, algorithm allow-list, key choice by
/// <c>kid</c> among the trusted keys only, algorithm/key-type binding, signature, then
/// <c>exp</c>/<c>nbf</c>/<c>iat</c> with a small clock skew, issuer, audience and required claims.
/// Every failure is an <c>invalid_token</c> value with a description.
/// </summary>
public static class JwtValidator
{
    /// <summary>Keys tried at most when the token names no <c>kid</c> (bounds work per token).</summary>
    private const int MaxCandidateKeys = 4;

    public static Result<JwtClaims> Validate(string token, JwtValidationParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var parsed = CompactJws.Parse(token, parameters.MaxTokenLength);
        if (!parsed.IsSuccess)
        {
            return parsed.Error!;
        }
        var jws = parsed.Value;
        var algorithm = JwsAlgorithm.Find(jws.Alg);
        if (algorithm is null || !parameters.Algorithms.Contains(algorithm.Name))
        {
            return Fail($"Algorithm '{jws.Alg}' is not accepted.");
        }
        if (parameters.RequiredType is { } typ && !string.Equals(jws.Typ, typ, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(jws.Typ, "application/" + typ, StringComparison.OrdinalIgnoreCase))
        {
            return Fail($"The token type must be '{typ}'.");
        }
        var candidates = parameters.Keys.Where(k => jws.Kid is null || k.Kid == jws.Kid).ToList();
        if (candidates.Count == 0)
        {
            return Fail(jws.Kid is null ? "No key is trusted for this token." : $"Key '{jws.Kid}' is not trusted.");
        }
        var fitting = candidates.Where(algorithm.Fits).Take(MaxCandidateKeys).ToList();
        if (fitting.Count == 0)
        {
            return Fail($"The trusted key does not allow algorithm '{algorithm.Name}'.");
        }
        if (!fitting.Exists(k => CompactJws.Verify(jws, k, algorithm)))
        {
            return Fail("The token signature is invalid.");
        }
        var claims = new JwtClaims(jws.Payload, algorithm.Name, jws.Kid);
        return CheckClaims(claims, parameters);
    }

    private static Result<JwtClaims> CheckClaims(JwtClaims claims, JwtValidationParameters p)
    {
        var now = p.Now;
        if (claims.Payload.TryGetProperty("exp", out var expValue) && expValue.ValueKind != JsonValueKind.Number)
        {
            return Fail("'exp' must be a NumericDate.");
        }
        if (claims.Expires is not { } exp)
        {
            return Fail("The token has no expiry ('exp').");
        }
        if (now >= exp + p.ClockSkew)
        {
            return Fail("The token has expired.");
        }
        if (p.MaxLifetime is { } max && exp > now + max + p.ClockSkew)
        {
            return Fail($"The token's expiry lies more than {max.TotalMinutes:0} minutes ahead.");
        }
        if (claims.Has("nbf") && (claims.GetTime("nbf") is not { } nbf || now + p.ClockSkew < nbf))
        {
            return Fail("The token is not valid yet ('nbf').");
        }
        if (claims.Has("iat") && (claims.IssuedAt is not { } iat || iat > now + p.ClockSkew))
        {
            return Fail("The token was issued in the future ('iat').");
        }
        if (!p.Issuers.IsDefaultOrEmpty && (claims.Issuer is not { } iss || !p.Issuers.Contains(iss)))
        {
            return Fail("The token issuer is not trusted.");
        }
        if (!p.Audiences.IsDefaultOrEmpty && !claims.GetStrings("aud").Any(p.Audiences.Contains))
        {
            return Fail("The token is not meant for this audience.");
        }
        foreach (var required in p.RequiredClaims)
        {
            if (!claims.Has(required))
            {
                return Fail($"The token lacks the required claim '{required}'.");
            }
        }
        return Result<JwtClaims>.Ok(claims);
    }

    private static Result<JwtClaims> Fail(string description) => Result<JwtClaims>.Fail("invalid_token", description);
}
