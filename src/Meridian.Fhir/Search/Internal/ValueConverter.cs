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
}
