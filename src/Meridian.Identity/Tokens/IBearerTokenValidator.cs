namespace Meridian.Identity.Tokens;

/// <summary>Checks a bearer token presented to the FHIR API of one tenant.</summary>
public interface IBearerTokenValidator
{
    /// <param name="target">The tenant and URLs the request addresses.</param>
    Result<AuthenticatedPrincipal> Validate(string token, IdentityUrls target);
}
