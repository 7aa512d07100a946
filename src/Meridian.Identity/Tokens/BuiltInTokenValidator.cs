using System.Collections.Immutable;
using Meridian.Identity.Jose;

namespace Meridian.Identity.Tokens;

/// <summary>
/// Accepts only access tokens this server issued for the addressed tenant: signed by one of
/// its keys, <c>typ at+jwt</c>, issuer and audience of that tenant, tenant claim equal to it.
/// </summary>
public sealed class BuiltInTokenValidator(SigningKeyRing keys, IdentityOptions options, TimeProvider clock) : IBearerTokenValidator
{
    public Result<AuthenticatedPrincipal> Validate(string token, IdentityUrls target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var result = JwtValidator.Validate(token, new JwtValidationParameters
        {
            Keys = keys.PublicKeys,
            Algorithms = [keys.Algorithm.Name],
            Issuers = [target.Issuer],
            Audiences = [target.FhirBase],
            RequiredType = AccessTokenIssuer.AccessTokenType,
            RequiredClaims = ["sub", "client_id", "tenant", "jti", "iat"],
            ClockSkew = TimeSpan.FromSeconds(options.ClockSkewSeconds),
            MaxTokenLength = options.MaxTokenLength,
            Now = clock.GetUtcNow(),
        });
        if (!result.IsSuccess)
        {
            return result.Error!;
        }
        var c = result.Value;
        if (c.GetString("tenant") != target.Tenant)
        {
            return new AuthError("invalid_token", "The token was issued for another tenant.");
        }
        var clientId = c.GetString("client_id")!;
        var sub = c.Subject;
        return Result<AuthenticatedPrincipal>.Ok(new AuthenticatedPrincipal
        {
            ClientId = clientId,
            UserId = sub == clientId && !c.Has("fhirUser") ? null : sub,
            FhirUser = c.GetString("fhirUser"),
            Roles = c.GetStrings("roles"),
            Scopes = c.GetScopes(),
            PatientContext = c.GetString("patient"),
            Tenant = target.Tenant,
            TokenId = c.Id,
            Session = c.GetString("sid"),
            Expires = c.Expires,
        });
    }
}

/// <summary>
/// Tokens of an external identity provider, checked against its JWKS (loaded from a file at
/// start) with the configured issuer and audience. Claims map to the principal by configurable
/// names. A token without a tenant claim is valid for the <c>default</c> tenant only.
/// </summary>
public sealed class ExternalTokenValidator(JsonWebKeySet jwks, IdentityOptions options, TimeProvider clock) : IBearerTokenValidator
{
    public Result<AuthenticatedPrincipal> Validate(string token, IdentityUrls target)
    {
        ArgumentNullException.ThrowIfNull(jwks);
        ArgumentNullException.ThrowIfNull(target);
        var ext = options.External;
        var result = JwtValidator.Validate(token, new JwtValidationParameters
        {
            Keys = jwks.Keys,
            Issuers = [ext.Issuer!],
            Audiences = [ext.Audience!],
            RequiredClaims = ["sub"],
            ClockSkew = TimeSpan.FromSeconds(options.ClockSkewSeconds),
            MaxTokenLength = options.MaxTokenLength,
            Now = clock.GetUtcNow(),
        });
        if (!result.IsSuccess)
        {
            return result.Error!;
        }
        var c = result.Value;
        var tenant = c.GetString(ext.TenantClaim) ?? IdentityUrls.DefaultTenant;
        if (tenant != target.Tenant)
        {
            return new AuthError("invalid_token", "The token was issued for another tenant.");
        }
        var clientId = c.GetString(ext.ClientIdClaim) ?? c.GetString("azp");
        return Result<AuthenticatedPrincipal>.Ok(new AuthenticatedPrincipal
        {
            ClientId = clientId,
            UserId = c.Subject,
            FhirUser = c.GetString(ext.FhirUserClaim),
            Roles = c.GetStrings(ext.RolesClaim),
            Scopes = c.GetScopes(ext.ScopeClaim),
            PatientContext = c.GetString(ext.PatientClaim),
            Tenant = tenant,
            TokenId = c.Id,
            Expires = c.Expires,
        });
    }
}
