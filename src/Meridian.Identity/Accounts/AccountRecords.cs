using System.Collections.Immutable;

namespace Meridian.Identity.Accounts;

/// <summary>How a client proves who it is at the token endpoint (RFC 7591 names).</summary>
public static class ClientAuthMethods
{
    public const string PrivateKeyJwt = "private_key_jwt";
    public const string SecretBasic = "client_secret_basic";
    public const string SecretPost = "client_secret_post";
    public const string None = "none";
}

/// <summary>A registered OAuth client of one tenant.</summary>
public sealed record ClientRegistration
{
    public required string ClientId { get; init; }
    public string? Name { get; init; }

    /// <summary><see cref="ClientAuthMethods"/>: a key-pair client, a secret client (basic or post both accepted), or a public app.</summary>
    public required string AuthMethod { get; init; }

    /// <summary>The client's public keys (JWK Set JSON) for <c>private_key_jwt</c>.</summary>
    public string? Jwks { get; init; }

    /// <summary>SHA-256 of the generated secret (<see cref="PasswordHasher.HashSecret"/>).</summary>
    public string? SecretHash { get; init; }

    /// <summary>Exact redirect URIs for the authorization-code flow.</summary>
    public ImmutableArray<string> RedirectUris { get; init; } = [];

    /// <summary>Scopes the client may be granted; empty: any requested scope (authorization then decides by role).</summary>
    public ImmutableArray<string> Scopes { get; init; } = [];

    /// <summary>Roles of a system client (backend services act as themselves).</summary>
    public ImmutableArray<string> Roles { get; init; } = [];

    public DateTimeOffset Created { get; init; }
}

/// <summary>A person who logs in on the built-in login page.</summary>
public sealed record UserAccount
{
    public required string Username { get; init; }
    public required string UserId { get; init; }
    public required string PasswordHash { get; init; }

    /// <summary>SMART fhirUser: <c>Practitioner/123</c>, <c>Patient/456</c>…</summary>
    public string? FhirUser { get; init; }

    public ImmutableArray<string> Roles { get; init; } = [];
    public bool Disabled { get; init; }
    public int FailedLogins { get; init; }
    public DateTimeOffset? LockedUntil { get; init; }
    public DateTimeOffset Created { get; init; }
}

/// <summary>A one-time authorization code (stored under the SHA-256 of the code, 60 s).</summary>
public sealed record AuthorizationCode
{
    public required string ClientId { get; init; }
    public required string RedirectUri { get; init; }
    public required string CodeChallenge { get; init; }
    public required string UserId { get; init; }
    public string? FhirUser { get; init; }
    public ImmutableArray<string> Roles { get; init; } = [];
    public ImmutableArray<string> Scopes { get; init; } = [];
    public string? PatientContext { get; init; }
}

/// <summary>One refresh token of a rotation family (stored under the SHA-256 of the token).</summary>
public sealed record RefreshTokenRecord
{
    public required string Family { get; init; }

    /// <summary>What the token may be exchanged for: the login's full grant (a refresh may narrow its scopes).</summary>
    public required Tokens.TokenGrant Grant { get; init; }

    /// <summary>Set when the token was exchanged: presenting it again is reuse, and revokes the family.</summary>
    public bool Used { get; init; }
}

/// <summary>A refresh-token family: all tokens descended from one login. Revoked as a whole on reuse.</summary>
public sealed record TokenFamily
{
    public required string ClientId { get; init; }
    public bool Revoked { get; init; }
    public DateTimeOffset Expires { get; init; }
}
