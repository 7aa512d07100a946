using System.Collections.Immutable;
using Meridian.Fhir.Specification;

namespace Meridian.Api.Authorization;

/// <summary>The parts of authorization fixed per <see cref="FhirApi"/>: options, the role and
/// break-glass scopes parsed once, the spec and the search parser. Immutable; shared.</summary>
internal sealed class Authorizer
{
    private readonly ImmutableDictionary<string, ImmutableArray<SmartScope>> _roles;

    public Authorizer(AuthorizationOptions options, FhirSpec spec, ISearchQueryParser parser)
    {
        Options = options;
        Spec = spec;
        Parser = parser;
        _roles = options.RoleScopes.ToImmutableDictionary(kv => kv.Key, kv => ScopeParser.Parse(kv.Value, spec).Resources, StringComparer.Ordinal);
        BreakGlassScopes = ScopeParser.Parse(options.BreakGlassScopes, spec).Resources;
    }

    public AuthorizationOptions Options { get; }
    public FhirSpec Spec { get; }
    public ISearchQueryParser Parser { get; }
    public ImmutableArray<SmartScope> BreakGlassScopes { get; }

    /// <summary>An unknown role allows nothing.</summary>
    public ImmutableArray<SmartScope> ScopesOfRole(string role) => _roles.TryGetValue(role, out var s) ? s : [];
}
