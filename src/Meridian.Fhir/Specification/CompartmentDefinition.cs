using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Meridian.Fhir.Specification;

/// <summary>A compartment (Patient, Encounter, ...): for each resource type, the search
/// parameters whose values place a resource in the compartment.</summary>
public sealed class CompartmentDefinition
{
    internal CompartmentDefinition(PackCompartment c)
    {
        Code = c.Code;
        Members = c.Resources.ToFrozenDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray(), StringComparer.Ordinal);
    }

    public string Code { get; }
    public FrozenDictionary<string, ImmutableArray<string>> Members { get; }

    public ImmutableArray<string> ParamsFor(string resourceType) =>
        Members.TryGetValue(resourceType, out var p) ? p : [];
}
