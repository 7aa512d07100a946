using System.Collections.Immutable;

namespace Meridian.Identity.Server;

/// <summary>Scope strings as the authorization server handles them: parsing and limiting to a client's allowance.
/// What a scope permits is the authorization layer's business.</summary>
internal static class Scopes
{
    public const int MaxScopeLength = 4096;

    public static ImmutableArray<string> Parse(string? scope) =>
        string.IsNullOrWhiteSpace(scope) ? [] : [.. scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)];

    /// <summary>The requested scopes the client may have (all of them when its registration lists none).</summary>
    public static ImmutableArray<string> Allowed(ImmutableArray<string> requested, ImmutableArray<string> allowed) =>
        allowed.IsDefaultOrEmpty ? requested : [.. requested.Where(allowed.Contains)];

    public static bool WantsRefreshToken(ImmutableArray<string> scopes) => scopes.Contains("offline_access") || scopes.Contains("online_access");
}
