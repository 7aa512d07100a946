using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Meridian.Identity.Jose;

namespace Meridian.Identity.Tokens;

/// <summary>What a token grants: decided by the authorization server, carried as claims.</summary>
public sealed record TokenGrant
{
    public required string Tenant { get; init; }
    public required string ClientId { get; init; }
    public string? UserId { get; init; }
    public string? FhirUser { get; init; }
    public ImmutableArray<string> Roles { get; init; } = [];
    public ImmutableArray<string> Scopes { get; init; } = [];
    public string? PatientContext { get; init; }

    /// <summary>The refresh-token family (the login) this grant belongs to, when it has one; access
    /// tokens carry it as <c>sid</c> so that what outlives a token (a subscription) can check the
    /// login was not revoked.</summary>
    public string? Family { get; init; }
}

/// <summary>An issued access token.</summary>
public sealed record IssuedToken(string Token, string Id, DateTimeOffset Expires, int ExpiresIn);

/// <summary>
/// Signs access tokens (RFC 9068 shape, <c>typ: at+jwt</c>) and OpenID id_tokens. Access token
/// claims: iss (the tenant's issuer), aud (the tenant's FHIR base), sub, client_id, scope, tenant,
/// jti, iat, exp, and when present fhirUser, patient, roles, and sid (the refresh-token family).
/// </summary>
public sealed class AccessTokenIssuer(SigningKeyRing keys, IdentityOptions options, TimeProvider clock)
{
    public const string AccessTokenType = "at+jwt";

    public TimeSpan Lifetime => TimeSpan.FromMinutes(options.AccessTokenMinutes);

    public IssuedToken Issue(IdentityUrls urls, TokenGrant grant)
    {
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(grant);
        var now = clock.GetUtcNow();
        var expires = now + Lifetime;
        var jti = Base64UrlText.Encode(RandomNumberGenerator.GetBytes(16));
        var payload = Write(w =>
        {
            w.WriteString("iss", urls.Issuer);
            w.WriteString("sub", grant.UserId ?? grant.ClientId);
            w.WriteString("aud", urls.FhirBase);
            w.WriteString("client_id", grant.ClientId);
            w.WriteString("scope", string.Join(' ', grant.Scopes));
            w.WriteString("tenant", grant.Tenant);
            w.WriteString("jti", jti);
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteNumber("exp", expires.ToUnixTimeSeconds());
            if (grant.FhirUser is not null)
            {
                w.WriteString("fhirUser", grant.FhirUser);
            }
            if (grant.PatientContext is not null)
            {
                w.WriteString("patient", grant.PatientContext);
            }
            if (grant.Family is not null)
            {
                w.WriteString("sid", grant.Family);
            }
            if (!grant.Roles.IsDefaultOrEmpty)
            {
                w.WriteStartArray("roles");
                foreach (var r in grant.Roles)
                {
                    w.WriteStringValue(r);
                }
                w.WriteEndArray();
            }
        });
        var token = CompactJws.Sign(keys.Current, keys.Algorithm, payload, AccessTokenType);
        return new IssuedToken(token, jti, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()), (int)Lifetime.TotalSeconds);
    }

    /// <summary>OpenID Connect id_token for the client (SMART <c>openid fhirUser</c>).</summary>
    public string IssueIdToken(IdentityUrls urls, TokenGrant grant)
    {
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(grant);
        var now = clock.GetUtcNow();
        var payload = Write(w =>
        {
            w.WriteString("iss", urls.Issuer);
            w.WriteString("sub", grant.UserId ?? grant.ClientId);
            w.WriteString("aud", grant.ClientId);
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteNumber("exp", (now + Lifetime).ToUnixTimeSeconds());
            if (grant.FhirUser is not null)
            {
                w.WriteString("fhirUser", grant.FhirUser.Contains("://", StringComparison.Ordinal) ? grant.FhirUser : urls.FhirBase + "/" + grant.FhirUser);
            }
        });
        return CompactJws.Sign(keys.Current, keys.Algorithm, payload, "JWT");
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
