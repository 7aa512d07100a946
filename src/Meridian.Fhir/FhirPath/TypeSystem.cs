using Meridian.Fhir.Model;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.FhirPath;

/// <summary>The result of type(): a namespace ("System"/"FHIR") and a name.</summary>
public sealed record FhirPathTypeInfo(string Namespace, string Name)
{
    public override string ToString() => Namespace + "." + Name;
}

/// <summary>Type tests for is/as/ofType over System values and FHIR nodes (hierarchy from the spec).</summary>
internal static class TypeSystem
{
    private static readonly string[] s_systemTypes = ["String", "Boolean", "Integer", "Decimal", "Date", "DateTime", "Time", "Quantity"];

    public static bool IsSystemTypeName(string name) => Array.IndexOf(s_systemTypes, name) >= 0;

    /// <summary>Splits "FHIR.string" / "System.String" / "Patient" into namespace (or null) and name.</summary>
    public static (string? Namespace, string Name) Split(string qualified)
    {
        var dot = qualified.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? (qualified[..dot], qualified[(dot + 1)..]) : (null, qualified);
    }

    /// <summary>Checks at compile time that a type specifier names a known type.</summary>
    public static bool IsKnownType(string qualified, FhirSpec spec)
    {
        var (ns, name) = Split(qualified);
        return ns switch
        {
            // Any System-qualified name is a valid specifier: names outside the System model simply never match.
            "System" => name.Length > 0,
            "FHIR" => spec.FindType(name) is not null,
            null => IsSystemTypeName(name) || spec.FindType(name) is not null,
            _ => false,
        };
    }

    /// <summary>Type test. With <paramref name="exactPrimitive"/> (as/ofType) a FHIR primitive must be
    /// exactly the named type: the suite treats code.as(string) as empty while code.is(string) is true.</summary>
    public static bool Is(object item, string qualified, bool exactPrimitive = false)
    {
        var (ns, name) = Split(qualified);
        if (item is FhirNode node)
        {
            if (ns == "System")
            {
                return false;
            }
            if (node.TypeName == name)
            {
                return true;
            }
            if (node.Type is { } t && !(exactPrimitive && t.IsPrimitive) && t.IsA(name))
            {
                return true;
            }
            return false;
        }
        if (ns == "FHIR")
        {
            return false;
        }
        return SystemValues.TypeNameOf(item) == name;
    }

    public static FhirPathTypeInfo TypeOf(object item) => item is FhirNode n
        ? new FhirPathTypeInfo("FHIR", n.TypeName)
        : new FhirPathTypeInfo("System", SystemValues.TypeNameOf(item));
}
