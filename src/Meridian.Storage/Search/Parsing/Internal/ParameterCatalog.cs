using System.Collections.Frozen;
using System.Collections.Immutable;
using Meridian.Fhir.Specification;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>
/// Finds the search parameter a code names in a scope: one resource type, the types a
/// system-level <c>_type</c> lists (the parameter must mean the same on all of them), or every
/// type (only parameters defined on Resource/DomainResource). Built once per parser.
/// </summary>
internal sealed class ParameterCatalog
{
    private readonly FrozenDictionary<string, SearchParameterDefinition> _common;
    private readonly FrozenDictionary<string, string> _unsupported;

    public ParameterCatalog(FhirSpec spec, IEnumerable<(string Url, string Reason)> unsupported)
    {
        Spec = spec;
        var common = new Dictionary<string, SearchParameterDefinition>(StringComparer.Ordinal);
        foreach (var p in spec.SearchParameters)
        {
            if (p.Base.Contains("Resource") || p.Base.Contains("DomainResource"))
            {
                common.TryAdd(p.Code, p);
            }
        }
        _common = common.ToFrozenDictionary(StringComparer.Ordinal);
        var skipped = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (url, reason) in unsupported)
        {
            skipped.TryAdd(url, reason);
        }
        _unsupported = skipped.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public FhirSpec Spec { get; }

    /// <summary>Why the store cannot search by <paramref name="parameter"/> (null = it can).</summary>
    public string? UnsupportedReason(SearchParameterDefinition parameter) =>
        parameter.Type == SearchParamType.Special && parameter.Code != "near"
            ? "special parameters other than near are not supported"
            : _unsupported.GetValueOrDefault(parameter.Url);

    public Parsed<SearchParameterDefinition> Resolve(SearchScope scope, string code)
    {
        if (scope.Type is { } type)
        {
            return Spec.FindSearchParameter(type, code) is { } p
                ? Parsed<SearchParameterDefinition>.Ok(p)
                : Parsed<SearchParameterDefinition>.Fail($"unknown search parameter '{code}' for {type}");
        }
        if (scope.Types.IsDefaultOrEmpty)
        {
            return _common.TryGetValue(code, out var c)
                ? Parsed<SearchParameterDefinition>.Ok(c)
                : Parsed<SearchParameterDefinition>.Fail($"unknown search parameter '{code}' for a search across all types (name the types with _type to use type-specific parameters)");
        }
        SearchParameterDefinition? first = null;
        foreach (var t in scope.Types)
        {
            var p = Spec.FindSearchParameter(t, code);
            if (p is null)
            {
                return Parsed<SearchParameterDefinition>.Fail($"search parameter '{code}' is not defined for {t}, one of the _type types");
            }
            if (first is not null && first.Type != p.Type)
            {
                return Parsed<SearchParameterDefinition>.Fail($"search parameter '{code}' has different types on the _type types ({first.Type} and {p.Type})");
            }
            first ??= p;
        }
        return Parsed<SearchParameterDefinition>.Ok(first!);
    }
}

/// <summary>Where a parameter is resolved: one type, the <c>_type</c> types, or all types (both empty).</summary>
internal readonly record struct SearchScope(string? Type, ImmutableArray<string> Types)
{
    public static SearchScope Of(string type) => new(type, []);
}
