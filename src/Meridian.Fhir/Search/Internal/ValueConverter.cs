using System.Collections.Frozen;
using Meridian.Fhir.Model;
using Meridian.Fhir.Specification;
using Meridian.Fhir.Terminology;

namespace Meridian.Fhir.Search.Internal;

/// <summary>
/// Turns the nodes a search parameter's expression selects into typed index values, by the
/// parameter's type and the node's FHIR type. Stateless apart from immutable spec data, so one
/// instance serves every thread.
/// </summary>
internal sealed partial class ValueConverter(FhirSpec spec, UcumService ucum)
{
    private readonly FhirSpec _spec = spec;
    private readonly UcumService _ucum = ucum;

    // Span lookups let references be parsed without allocating the type segment.
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _resourceTypes =
        spec.ResourceTypes.ToFrozenSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    // Required value sets by binding URL, with their systems as an array: code tokens look the
    // system up on every status/gender/... without allocating an enumerator.
    private readonly FrozenDictionary<string, (ExpandedValueSet ValueSet, string[] Systems)> _boundSystems = BoundValueSets(spec);

    /// <summary>Appends the values of <paramref name="node"/> for a parameter of <paramref name="type"/>.</summary>
    public void Convert(SearchParamType type, FhirNode node, FhirNode resource, List<SearchValue> output)
    {
        // Expressions like Patient.extension('url') select the extension: its value is what counts.
        if (node.TypeName == "Extension")
        {
            var value = node.Child("value");
            if (value is null)
            {
                return;
            }
            node = value;
        }
        switch (type)
        {
            case SearchParamType.Token:
                AddTokens(node, output);
                break;
            case SearchParamType.String:
                AddStrings(node, output);
                break;
            case SearchParamType.Reference:
                AddReferences(node, resource, output);
                break;
            case SearchParamType.Date:
                AddDates(node, output);
                break;
            case SearchParamType.Quantity:
                AddQuantities(node, output);
                break;
            case SearchParamType.Number:
                AddNumbers(node, output);
                break;
            case SearchParamType.Uri:
                AddUri(node, output);
                break;
            case SearchParamType.Special:
                AddSpecial(node, output);
                break;
            case SearchParamType.Composite:
                break; // composites are formed by CompositeExtractor from their components
        }
    }

    private static string? TextOf(FhirNode node, string child) => node.Child(child)?.Text;

    private static FrozenDictionary<string, (ExpandedValueSet, string[])> BoundValueSets(FhirSpec spec)
    {
        var result = new Dictionary<string, (ExpandedValueSet, string[])>(StringComparer.Ordinal);
        var seen = new HashSet<StructureType>();
        var pending = new Stack<StructureType>(spec.Types);
        while (pending.Count > 0)
        {
            var type = pending.Pop();
            if (!seen.Add(type))
            {
                continue;
            }
            foreach (var e in type.Children)
            {
                if (e.Backbone is { } backbone)
                {
                    pending.Push(backbone);
                }
                if (e.BindingValueSet is { } url && !result.ContainsKey(url) && spec.FindValueSet(url) is { } vs)
                {
                    result[url] = (vs, [.. vs.Systems]);
                }
            }
        }
        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
