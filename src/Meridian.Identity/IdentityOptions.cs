namespace Meridian.Identity;

/// <summary>
/// Authentication settings, section <c>Meridian:Identity</c> (<c>MERIDIAN_IDENTITY__…</c>).
/// <c>builtin</c> (default): Meridian issues and checks its own tokens (SMART Backend Services,
/// App Launch, client secrets). <c>external</c>: tokens come from another issuer and are checked
/// against its JWKS.
/// </summary>
public sealed class IdentityOptions
{
    /// <summary><c>builtin</c> or <c>external</c>.</summary>
    public string Mode { get; set; } = "builtin";

    /// <summary>Public origin of the server (<c>https://fhir.example.org</c>) used in issuer and audience
    /// URLs. Unset: taken from each request's scheme and host.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>Lifetime of access tokens in minutes (short: a stolen token is soon useless).</summary>
    public int AccessTokenMinutes { get; set; } = 5;

    /// <summary>Lifetime of a refresh-token family in hours (each use rotates the token, the family keeps its end).</summary>
    public int RefreshTokenHours { get; set; } = 24 * 14;

    /// <summary>Accepted difference between clocks when checking exp/nbf/iat.</summary>
    public int ClockSkewSeconds { get; set; } = 60;

    /// <summary>Longest bearer token or client assertion accepted, in characters.</summary>
    public int MaxTokenLength { get; set; } = 16 * 1024;

    /// <summary>A private signing key (JWK JSON or PEM, RSA or EC P-256/P-384). Unset: a key is
    /// generated on first start and kept in the data store.</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>PBKDF2-SHA512 iterations for new password hashes (at least 600,000, OWASP 2023).</summary>
    public int PasswordIterations { get; set; } = PasswordHasher.MinIterations;

    /// <summary>Failed logins before an account is locked.</summary>
    public int MaxFailedLogins { get; set; } = 5;

    /// <summary>First lockout in seconds; it doubles with each further failure (capped at 1 hour).</summary>
    public int LockoutSeconds { get; set; } = 60;

    /// <summary>On the first <c>serve</c> with no users and no clients, create an <c>admin</c> user and print its password once.</summary>
    public bool BootstrapAdmin { get; set; } = true;

    public ExternalIssuerOptions External { get; set; } = new();

    public sealed class ExternalIssuerOptions
    {
        /// <summary>The issuer's <c>iss</c>, exactly.</summary>
        public string? Issuer { get; set; }

        /// <summary>The audience tokens must carry (this server's identifier at the issuer).</summary>
        public string? Audience { get; set; }

        /// <summary>The issuer's JWK Set as a local file (read at start).</summary>
        public string? JwksFile { get; set; }

        /// <summary>Where users and apps get tokens (published in smart-configuration).</summary>
        public string? AuthorizationEndpoint { get; set; }

        public string? TokenEndpoint { get; set; }

        public string ScopeClaim { get; set; } = "scope";
        public string RolesClaim { get; set; } = "roles";
        public string TenantClaim { get; set; } = "tenant";
        public string FhirUserClaim { get; set; } = "fhirUser";
        public string PatientClaim { get; set; } = "patient";
        public string ClientIdClaim { get; set; } = "client_id";
    }

    public IEnumerable<string> Problems()
    {
        if (Mode is not ("builtin" or "external"))
        {
            yield return $"Identity:Mode '{Mode}' is not known; use builtin or external.";
        }
        if (PublicUrl is not null && (!Uri.TryCreate(PublicUrl, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https") || u.Query.Length > 0))
        {
            yield return "Identity:PublicUrl must be an absolute http(s) URL.";
        }
        if (AccessTokenMinutes is < 1 or > 60)
        {
            yield return "Identity:AccessTokenMinutes must be 1-60.";
        }
        if (RefreshTokenHours is < 1 or > 24 * 365)
        {
            yield return "Identity:RefreshTokenHours must be 1-8760.";
        }
        if (ClockSkewSeconds is < 0 or > 300)
        {
            yield return "Identity:ClockSkewSeconds must be 0-300.";
        }
        if (MaxTokenLength is < 1024 or > 1024 * 1024)
        {
            yield return "Identity:MaxTokenLength must be 1024 to 1048576.";
        }
        if (PasswordIterations < PasswordHasher.MinIterations)
        {
            yield return $"Identity:PasswordIterations must be at least {PasswordHasher.MinIterations}.";
        }
        if (MaxFailedLogins < 1 || LockoutSeconds < 1)
        {
            yield return "Identity:MaxFailedLogins and Identity:LockoutSeconds must be positive.";
        }
        if (SigningKeyFile is not null && !File.Exists(SigningKeyFile))
        {
            yield return $"Identity:SigningKeyFile '{SigningKeyFile}' does not exist.";
        }
        if (Mode == "external")
        {
            if (string.IsNullOrWhiteSpace(External.Issuer) || string.IsNullOrWhiteSpace(External.Audience))
            {
                yield return "Identity:Mode external needs Identity:External:Issuer and Identity:External:Audience.";
            }
            if (string.IsNullOrWhiteSpace(External.JwksFile) || !File.Exists(External.JwksFile))
            {
                yield return "Identity:Mode external needs Identity:External:JwksFile naming an existing JWK Set file.";
            }
        }
    }
}
