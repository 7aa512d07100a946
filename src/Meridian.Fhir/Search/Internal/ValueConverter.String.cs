using Meridian.Fhir.Model;

namespace Meridian.Fhir.Search.Internal;

internal sealed partial class ValueConverter
{
    private static void AddStrings(FhirNode node, List<SearchValue> output)
    {
        switch (node.TypeName)
        {
            case "HumanName":
                AddParts(node, output, "text", "family", "given", "prefix", "suffix");
                break;
            case "Address":
                AddParts(node, output, "text", "line", "city", "district", "state", "postalCode", "country");
                break;
            case "CodeableConcept":
                AddParts(node, output, "text");
                foreach (var c in node.Children)
                {
                    if (c.Name == "coding")
                    {
                        AddParts(c, output, "display");
                    }
                }
                break;
            case "Coding":
                AddParts(node, output, "display");
                break;
            case "Identifier":
            case "ContactPoint":
                AddParts(node, output, "value");
                break;
            case "Reference":
                AddParts(node, output, "display");
                break;
            case "Annotation":
                AddParts(node, output, "text");
                break;
            default:
                if (node.IsPrimitive && node.Text is { Length: > 0 } text)
                {
                    output.Add(new StringValue(text));
                }
                break;
        }
    }

    /// <summary>Each named primitive part (every repeat) is its own value: a name matches on any part.</summary>
    private static void AddParts(FhirNode node, List<SearchValue> output, params ReadOnlySpan<string> parts)
    {
        foreach (var c in node.Children)
        {
            if (c.Text is not { Length: > 0 } text)
            {
                continue;
            }
            foreach (var p in parts)
            {
                if (c.Name == p)
                {
                    output.Add(new StringValue(text));
                    break;
                }
            }
        }
    }
}
