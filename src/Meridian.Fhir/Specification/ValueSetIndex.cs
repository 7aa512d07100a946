using System.Collections.Frozen;

namespace Meridian.Fhir.Specification;

/// <summary>The expansion of one value set used by a required binding.</summary>
public sealed class ExpandedValueSet
{
    private readonly FrozenDictionary<string, FrozenSet<string>> _bySystem;
    private readonly FrozenSet<string> _allCodes;

    internal ExpandedValueSet(PackValueSet vs)
    {
        Url = vs.Url;
        IsEnumerable = vs.Enumerable;
        _bySystem = vs.Systems.ToFrozenDictionary(s => s.System, s => s.Codes.ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal);
        _allCodes = vs.Systems.SelectMany(s => s.Codes).ToFrozenSet(StringComparer.Ordinal);
    }

    public string Url { get; }
    /// <summary>False when the value set includes a code system the spec does not enumerate:
    /// membership cannot be decided, so nothing is rejected.</summary>
    public bool IsEnumerable { get; }
    public IEnumerable<string> Systems => _bySystem.Keys;

    /// <summary>The codes of <paramref name="system"/> in the expansion (empty for other systems).</summary>
    public IReadOnlyCollection<string> CodesOf(string system) =>
        _bySystem.TryGetValue(system, out var codes) ? codes : [];

    /// <summary>Is <paramref name="code"/> (from <paramref name="system"/>, or any system when null) in the set?</summary>
    public bool Contains(string? system, string code) => system is null
        ? _allCodes.Contains(code)
        : _bySystem.TryGetValue(system, out var codes) && codes.Contains(code);
}
