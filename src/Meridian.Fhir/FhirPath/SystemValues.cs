using System.Globalization;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.FhirPath;

/// <summary>Maps FHIR primitive nodes to FHIRPath System values and names System types.</summary>
internal static class SystemValues
{
    /// <summary>The System value of an item: FHIR primitives become string/bool/long/decimal/date/time,
    /// a Quantity-typed node becomes a <see cref="FhirPathQuantity"/>; anything else is returned unchanged.</summary>
    public static object ToSystem(object item)
    {
        if (item is not FhirNode n)
        {
            return item;
        }
        if (n.Text is { } text && n.Kind != ValueKind.Unknown)
        {
            return FromPrimitive(n.TypeName, text, n.Kind) ?? n;
        }
        if (n.Type is { } t && t.Kind == Specification.TypeKind.Complex && (n.TypeName == "Quantity" || t.IsA("Quantity")))
        {
            return ToQuantity(n) ?? (object)n;
        }
        return n;
    }

    public static object? FromPrimitive(string typeName, string text, ValueKind kind)
    {
        switch (typeName)
        {
            case "boolean":
                return text == "true" ? Items.BoxedTrue : Items.BoxedFalse;
            case "integer":
            case "positiveInt":
            case "unsignedInt":
            case "integer64":
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : null;
            case "decimal":
                return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
            case "date":
                return (object?)FhirPathDate.Parse(text) ?? FhirPathDateTime.Parse(text);
            case "dateTime":
            case "instant":
                return FhirPathDateTime.Parse(text);
            case "time":
                return FhirPathTime.Parse(text);
            default:
                return kind switch
                {
                    ValueKind.Boolean => text == "true" ? Items.BoxedTrue : Items.BoxedFalse,
                    ValueKind.Number => decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null,
                    _ => text,
                };
        }
    }

    public static FhirPathQuantity? ToQuantity(FhirNode n)
    {
        var value = n.Child("value");
        if (value?.Text is null || !decimal.TryParse(value.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            return null;
        }
        var code = n.Child("code")?.Text;
        var system = n.Child("system")?.Text;
        var unit = code is not null && (system is null || system == "http://unitsofmeasure.org") ? code : n.Child("unit")?.Text ?? code ?? "1";
        // FHIR Quantity nodes carrying a calendar-word unit (Age "years") compare as UCUM.
        return new FhirPathQuantity(v, unit);
    }

    /// <summary>The System type name of a value (String, Integer...), or the FHIR type of a node.</summary>
    public static string TypeNameOf(object v) => v switch
    {
        string => "String",
        bool => "Boolean",
        long => "Integer",
        decimal => "Decimal",
        FhirPathDate => "Date",
        FhirPathDateTime => "DateTime",
        FhirPathTime => "Time",
        FhirPathQuantity => "Quantity",
        FhirNode n => n.TypeName,
        _ => v.GetType().Name,
    };

    public static string FormatDecimal(decimal d) => d.ToString(CultureInfo.InvariantCulture);

    /// <summary>The string form used by toString() and by string concatenation.</summary>
    public static string? ToText(object v) => ToSystem(v) switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        decimal d => FormatDecimal(d),
        FhirPathDate d => d.ToString(),
        FhirPathDateTime d => d.ToString(),
        FhirPathTime t => t.ToString(),
        FhirPathQuantity q => q.ToString(),
        _ => null,
    };
}
