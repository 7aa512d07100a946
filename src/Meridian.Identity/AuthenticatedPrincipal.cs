using System.Collections.Immutable;

namespace Meridian.Identity;

/// <summary>Who a valid bearer token says is calling; the host turns it into its Caller.</summary>
public sealed record AuthenticatedPrincipal
{
    public string? ClientId { get; init; }
    public string? UserId { get; init; }
    public string? FhirUser { get; init; }
    public ImmutableArray<string> Roles { get; init; } = [];
    public ImmutableArray<string> Scopes { get; init; } = [];
    public string? PatientContext { get; init; }
    public required string Tenant { get; init; }
    public string? TokenId { get; init; }

    /// <summary>The login (refresh-token family, claim <c>sid</c>) the token was issued under, when it names one.</summary>
    public string? Session { get; init; }
    public DateTimeOffset? Expires { get; init; }
}
