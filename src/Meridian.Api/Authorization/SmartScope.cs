using System.Collections.Immutable;

namespace Meridian.Api.Authorization;

/// <summary>The SMART v2 interaction letters, in their canonical order c, r, u, d, s.</summary>
[Flags]
public enum ScopePermissions
{
    None = 0,
    Create = 1,
    Read = 2,
    Update = 4,
    Delete = 8,
    Search = 16,
    All = Create | Read | Update | Delete | Search,
}

/// <summary>Whose data a scope speaks for: the launch patient's, what the user may see, or a system client's.</summary>
public enum ScopeContext { Patient, User, System }

/// <summary>
/// One SMART resource scope as a value: <c>patient/Observation.rs?category=laboratory</c> is
/// (Patient, "Observation", Read|Search, [category=laboratory]). <see cref="ResourceType"/> is
/// null for <c>*</c>. v1 scopes (<c>.read</c>, <c>.write</c>, <c>.*</c>) become the same values
/// (read → rs, write → cud, * → cruds), so the rest of the code knows only one model.
/// </summary>
public sealed record SmartScope(string Text, ScopeContext Context, string? ResourceType, ScopePermissions Permissions)
{
    /// <summary>Search parameters (v2 <c>?param=value</c>) that every resource the scope reaches must match.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Restrictions { get; init; } = [];

    public bool Covers(string type) => ResourceType is null || ResourceType == type;

    public bool Grants(string type, ScopePermissions permission) => Covers(type) && (Permissions & permission) == permission;

    public override string ToString() => Text;
}

/// <summary>Scopes as granted: the resource scopes understood, the other OAuth scopes
/// (<c>openid</c>, <c>launch/patient</c>, …) that grant no data, and the malformed ones, which
/// are ignored and reported (in <see cref="AuthorizationDecision.InvalidScopes"/>).</summary>
public sealed record ScopeSet(ImmutableArray<SmartScope> Resources, ImmutableArray<string> Other, ImmutableArray<string> Invalid)
{
    public static ScopeSet Empty { get; } = new([], [], []);
}
