using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Meridian.Identity.Accounts;
using Meridian.Identity.Jose;
using Meridian.Identity.Tokens;

namespace Meridian.Identity.Server;

/// <summary>
/// The grants of the token endpoint: <c>client_credentials</c>, <c>authorization_code</c> (PKCE
/// S256 only) and <c>refresh_token</c> with rotation. Codes and refresh tokens are random
/// 256-bit strings stored only as SHA-256 hashes; each is consumed with a compare-and-swap, so
/// concurrent redemption succeeds at most once.
/// </summary>
public sealed class TokenService(IdentityStore store, AccessTokenIssuer issuer, IdentityOptions options, TimeProvider clock)
{
    public Result<TokenResponse> ClientCredentials(AuthenticatedClient client, string tenant, IdentityUrls urls, string? scope)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (!client.Authenticated)
        {
            return Result<TokenResponse>.Fail("unauthorized_client", "Public clients cannot use client_credentials.");
        }
        var requested = Scopes.Parse(scope);
        if (requested.IsEmpty)
        {
            return Result<TokenResponse>.Fail("invalid_scope", "client_credentials needs a scope.");
        }
        var granted = Scopes.Allowed(requested, client.Client.Scopes);
        if (granted.IsEmpty)
        {
            return Result<TokenResponse>.Fail("invalid_scope", "None of the requested scopes is allowed for this client.");
        }
        var token = issuer.Issue(urls, new TokenGrant { Tenant = tenant, ClientId = client.Client.ClientId, Roles = client.Client.Roles, Scopes = granted });
        return Result<TokenResponse>.Ok(new TokenResponse(token.Token, token.ExpiresIn, granted));
    }

    public async Task<Result<TokenResponse>> AuthorizationCodeAsync(AuthenticatedClient client, string tenant, IdentityUrls urls, string? code, string? redirectUri, string? verifier, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (code is null || redirectUri is null || verifier is null)
        {
            return Result<TokenResponse>.Fail("invalid_request", "code, redirect_uri and code_verifier are required.");
        }
        var key = PasswordHasher.HashSecret(code);
        var stored = await store.GetAsync<AuthorizationCode>(tenant, IdentityStore.Codes, key, ct).ConfigureAwait(false);
        // Delete first: a code is spent by its first presentation, whatever the outcome.
        if (stored is null || !await store.DeleteAsync(tenant, IdentityStore.Codes, key, stored.Version, ct).ConfigureAwait(false))
        {
            return Result<TokenResponse>.Fail("invalid_grant", "The authorization code is invalid, expired or already used.");
        }
        var c = stored.Value;
        if (c.ClientId != client.Client.ClientId || c.RedirectUri != redirectUri)
        {
            return Result<TokenResponse>.Fail("invalid_grant", "The code was issued to another client or redirect_uri.");
        }
        if (!Pkce.Matches(verifier, c.CodeChallenge))
        {
            return Result<TokenResponse>.Fail("invalid_grant", "code_verifier does not match the code_challenge.");
        }
        var grant = new TokenGrant
        {
            Tenant = tenant, ClientId = c.ClientId, UserId = c.UserId, FhirUser = c.FhirUser, Roles = c.Roles,
            Scopes = c.Scopes, PatientContext = c.PatientContext,
        };
        string? refresh = null;
        if (Scopes.WantsRefreshToken(c.Scopes))
        {
            var family = Base64UrlText.Encode(RandomNumberGenerator.GetBytes(16));
            var expires = clock.GetUtcNow().AddHours(options.RefreshTokenHours);
            await store.PutAsync(tenant, IdentityStore.Families, family, new TokenFamily { ClientId = c.ClientId, Expires = expires }, Storage.Records.SystemRecord.Absent, expires, ct).ConfigureAwait(false);
            grant = grant with { Family = family };
            refresh = await NewRefreshTokenAsync(tenant, family, grant, expires, ct).ConfigureAwait(false);
        }
        return Result<TokenResponse>.Ok(Respond(urls, grant, refresh));
    }

    public async Task<Result<TokenResponse>> RefreshAsync(AuthenticatedClient client, string tenant, IdentityUrls urls, string? refreshToken, string? scope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (refreshToken is null)
        {
            return Result<TokenResponse>.Fail("invalid_request", "refresh_token is required.");
        }
        var key = PasswordHasher.HashSecret(refreshToken);
        var stored = await store.GetAsync<RefreshTokenRecord>(tenant, IdentityStore.RefreshTokens, key, ct).ConfigureAwait(false);
        if (stored is null || stored.Value.Grant.ClientId != client.Client.ClientId)
        {
            return Result<TokenResponse>.Fail("invalid_grant", "The refresh token is invalid or expired.");
        }
        var r = stored.Value;
        var family = await store.GetAsync<TokenFamily>(tenant, IdentityStore.Families, r.Family, ct).ConfigureAwait(false);
        if (family is null || family.Value.Revoked)
        {
            return Result<TokenResponse>.Fail("invalid_grant", "The refresh token was revoked.");
        }
        // Rotation: mark this token used (compare-and-swap). A token presented twice, or by two
        // racing requests, means it was copied: the whole family is revoked (OAuth 2.0 Security BCP §4.14).
        if (r.Used || !await store.PutAsync(tenant, IdentityStore.RefreshTokens, key, r with { Used = true }, stored.Version, family.Value.Expires, ct).ConfigureAwait(false))
        {
            await RevokeFamilyAsync(tenant, r.Family, ct).ConfigureAwait(false);
            return Result<TokenResponse>.Fail("invalid_grant", "The refresh token was already used; all tokens of this login are revoked.");
        }
        var scopes = r.Grant.Scopes;
        if (scope is not null)
        {
            var narrowed = Scopes.Parse(scope);
            if (narrowed.Any(s => !r.Grant.Scopes.Contains(s)))
            {
                return Result<TokenResponse>.Fail("invalid_scope", "A refresh cannot add scopes.");
            }
            scopes = narrowed;
        }
        // Grants stored before tokens named their family get it from the record.
        var grant = r.Grant with { Tenant = tenant, Scopes = scopes, Family = r.Family };
        var next = await NewRefreshTokenAsync(tenant, r.Family, r.Grant with { Family = r.Family }, family.Value.Expires, ct).ConfigureAwait(false);
        return Result<TokenResponse>.Ok(Respond(urls, grant, next));
    }

    /// <summary>Marks a family revoked (bounded retries on concurrent writes).</summary>
    public async Task RevokeFamilyAsync(string tenant, string family, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var f = await store.GetAsync<TokenFamily>(tenant, IdentityStore.Families, family, ct).ConfigureAwait(false);
            if (f is null || f.Value.Revoked
                || await store.PutAsync(tenant, IdentityStore.Families, family, f.Value with { Revoked = true }, f.Version, f.Value.Expires, ct).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Is this refresh token usable now (introspection)?</summary>
    public async Task<RefreshTokenRecord?> ActiveRefreshTokenAsync(string tenant, string token, CancellationToken ct)
    {
        var stored = await store.GetAsync<RefreshTokenRecord>(tenant, IdentityStore.RefreshTokens, PasswordHasher.HashSecret(token), ct).ConfigureAwait(false);
        if (stored is null || stored.Value.Used)
        {
            return null;
        }
        var family = await store.GetAsync<TokenFamily>(tenant, IdentityStore.Families, stored.Value.Family, ct).ConfigureAwait(false);
        return family is null || family.Value.Revoked ? null : stored.Value;
    }

    private async Task<string> NewRefreshTokenAsync(string tenant, string family, TokenGrant grant, DateTimeOffset expires, CancellationToken ct)
    {
        var token = PasswordHasher.NewSecret();
        var record = new RefreshTokenRecord { Family = family, Grant = grant };
        await store.PutAsync(tenant, IdentityStore.RefreshTokens, PasswordHasher.HashSecret(token), record, Storage.Records.SystemRecord.Absent, expires, ct).ConfigureAwait(false);
        return token;
    }

    private TokenResponse Respond(IdentityUrls urls, TokenGrant grant, string? refresh)
    {
        var access = issuer.Issue(urls, grant);
        var idToken = grant.Scopes.Contains("openid") && grant.UserId is not null ? issuer.IssueIdToken(urls, grant) : null;
        return new TokenResponse(access.Token, access.ExpiresIn, grant.Scopes) { Patient = grant.PatientContext, RefreshToken = refresh, IdToken = idToken };
    }
}

/// <summary>RFC 7636 S256: BASE64URL(SHA-256(ASCII(code_verifier))) == code_challenge.</summary>
public static class Pkce
{
    public static bool IsValidVerifier(string verifier) =>
        verifier.Length is >= 43 and <= 128 && verifier.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');

    public static bool IsValidChallenge(string challenge) =>
        challenge.Length == 43 && challenge.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static string Challenge(string verifier) => Base64UrlText.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public static bool Matches(string verifier, string challenge) =>
        IsValidVerifier(verifier)
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Challenge(verifier)), Encoding.ASCII.GetBytes(challenge));
}
