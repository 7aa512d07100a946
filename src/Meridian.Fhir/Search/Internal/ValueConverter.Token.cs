using Meridian.Fhir.Model;

namespace Meridian.Fhir.Search.Internal;

internal sealed partial class ValueConverter
{
    private void AddTokens(FhirNode node, List<SearchValue> output)
    {
        switch (node.TypeName)
        {
            case "Coding":
                AddCoding(node, output);
                break;
            case "CodeableConcept":
                foreach (var c in node.Children)
                {
                    if (c.Name == "coding")
                    {
                        AddCoding(c, output);
                    }
                }
                if (TextOf(node, "text") is { } text)
                {
                    output.Add(new TokenValue(null, null, text));
                }
                break;
            case "Identifier":
                AddIdentifier(node, output);
                break;
            case "ContactPoint":
                if (TextOf(node, "value") is { } cp)
                {
                    output.Add(new TokenValue(TextOf(node, "system"), cp, null));
                }
                break;
            case "Reference":
                // A token parameter over a Reference (rare) matches its logical identifier.
                if (node.Child("identifier") is { } identifier)
                {
                    AddIdentifier(identifier, output);
                }
                break;
            case "code":
                if (node.Text is { } code)
                {
                    output.Add(new TokenValue(SystemOfBoundCode(node, code), code, null));
                }
                break;
            default:
                // boolean ("true"/"false"), id, string, uri-ish primitives: the value is the code.
                if (node.IsPrimitive && node.Text is { } value)
                {
                    output.Add(new TokenValue(null, value, null));
                }
                break;
        }
    }

    private static void AddCoding(FhirNode coding, List<SearchValue> output)
    {
        var code = TextOf(coding, "code");
        var display = TextOf(coding, "display");
        if (code is not null || display is not null)
        {
            output.Add(new TokenValue(TextOf(coding, "system"), code, display));
        }
    }

    private static void AddIdentifier(FhirNode identifier, List<SearchValue> output)
    {
        var system = TextOf(identifier, "system");
        var value = TextOf(identifier, "value");
        var type = identifier.Child("type");
        var typeText = type is null ? null : TextOf(type, "text");
        var added = false;
        if (type is not null)
        {
            foreach (var c in type.Children)
            {
                if (c.Name == "coding" && TextOf(c, "code") is { } typeCode)
                {
                    output.Add(new TokenValue(system, value, typeText) { TypeSystem = TextOf(c, "system"), TypeCode = typeCode });
                    added = true;
                }
            }
        }
        // A system without a value still answers identifier=system| (any value in that system).
        if (!added && (value is not null || system is not null || typeText is not null))
        {
            output.Add(new TokenValue(system, value, typeText));
        }
    }

    /// <summary>A bare <c>code</c> bound to a required value set gets the system that defines it,
    /// so <c>gender=http://hl7.org/fhir/administrative-gender|male</c> matches.</summary>
    private string? SystemOfBoundCode(FhirNode node, string code)
    {
        if (node.Definition?.BindingValueSet is not { } url || !_boundSystems.TryGetValue(url, out var bound))
        {
            return null;
        }
        foreach (var system in bound.Systems)
        {
            if (bound.ValueSet.Contains(system, code))
            {
                return system;
            }
        }
        return null;
    }
}
