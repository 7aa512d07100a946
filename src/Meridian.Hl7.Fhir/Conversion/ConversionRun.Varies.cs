using System.Text.Json.Nodes;
using Meridian.Fhir.Terminology;

namespace Meridian.Hl7.Fhir.Conversion;

internal sealed partial class ConversionRun
{
    private const string Ucum = "http://unitsofmeasure.org";

    /// <summary>
    /// OBX-5 ("varies"): its v2 type is OBX-2, looked up in the mapping's <c>varies</c> table to
    /// a FHIR value[x] suffix and a map; a Quantity gets its unit from OBX-6 through the
    /// <c>units</c> map, and the UCUM system when the code is valid UCUM (UcumService).
    /// </summary>
    private JsonNode? Varies(V2Value value, Source source, out string suffix)
    {
        suffix = "";
        var segment = source.Segment;
        if (segment is null)
        {
            return null;
        }
        var v2Type = segment.Field(2).Value.Trim();
        var entry = Set.FindVaries(v2Type) ?? Set.FindVaries("*");
        if (entry is null)
        {
            Notes.Add($"{segment.Id}-5 of type '{v2Type}' has no varies mapping; skipped");
            return null;
        }
        suffix = entry.FhirSuffix;
        JsonNode? node;
        if (Primitives.IsPrimitive(entry.MapType))
        {
            node = Primitive(entry.MapType, value, null, 0);
        }
        else if (Set.FindElement(entry.MapType) is { } map)
        {
            node = Element(map, value, source.SegmentIndex);
        }
        else
        {
            Notes.Add($"varies {v2Type}: unknown map {entry.MapType}");
            return null;
        }
        if (node is JsonObject quantity && suffix == "Quantity")
        {
            var units = segment.Field(6);
            if (!units.IsEmpty && Set.FindElement("units") is { } unitMap
                && Element(unitMap, new V2Value(units.Rep(0).Raw, V2Level.Repetition, segment.Delimiters), source.SegmentIndex) is { } unit)
            {
                foreach (var (name, part) in unit.ToList())
                {
                    unit.Remove(name);
                    quantity[name] ??= part;
                }
            }
            if (quantity["system"] is null && quantity["code"]?.GetValue<string>() is { } code && UcumService.Default.Validate(code) is null)
            {
                quantity["system"] = Ucum;
            }
        }
        return node;
    }
}
