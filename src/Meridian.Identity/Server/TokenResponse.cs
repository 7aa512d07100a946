using System.Collections.Immutable;

namespace Meridian.Identity.Server;

/// <summary>The token endpoint's success answer (RFC 6749 §5.1 plus SMART's <c>patient</c>).</summary>
public sealed record TokenResponse(string AccessToken, int ExpiresIn, ImmutableArray<string> Scopes)
{
    public string? Patient { get; init; }
    public string? RefreshToken { get; init; }
    public string? IdToken { get; init; }
}
