namespace Meridian.Identity;

/// <summary>
/// The URLs one tenant's authorization server and FHIR base live at. Each tenant is its own
/// issuer (<c>{origin}/auth</c> for <c>default</c>, <c>{origin}/t/{tenant}/auth</c> otherwise)
/// and its tokens name its FHIR base as audience, so a token of tenant A cannot be replayed
/// against tenant B: issuer, audience and the tenant claim all differ.
/// </summary>
public sealed record IdentityUrls(string Origin, string Tenant)
{
    public const string DefaultTenant = "default";

    private string Prefix => Tenant == DefaultTenant ? Origin : $"{Origin}/t/{Tenant}";

    public string Issuer => Prefix + "/auth";
    public string FhirBase => Prefix + "/fhir";
    public string TokenEndpoint => Issuer + "/token";
    public string AuthorizeEndpoint => Issuer + "/authorize";
    public string IntrospectionEndpoint => Issuer + "/introspect";
    public string JwksUri => Issuer + "/jwks";

    /// <summary>The origin from configuration, else from the request (scheme, host, path base).</summary>
    public static IdentityUrls For(Microsoft.AspNetCore.Http.HttpRequest request, IdentityOptions options, string tenant)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        var origin = options.PublicUrl?.TrimEnd('/') ?? $"{request.Scheme}://{request.Host}{request.PathBase}";
        return new IdentityUrls(origin, tenant);
    }
}
