using System.Buffers;
using System.Collections.Frozen;
using System.Text.Json;
using Meridian.Fhir.Specification;

namespace Meridian.Api.Internal;

internal enum SummaryMode { None, True, Text, Data, Count }

/// <summary>
/// Applies <c>_summary</c> and <c>_elements</c> to a resource's JSON. <c>_elements</c> names
/// root-level elements, as R4 defines it ("a comma separated list of base element names");
/// a name may be qualified by a resource type (<c>Patient.name</c>), which then applies to
/// resources of that type only (so one search with includes can select per type). Deeper paths
/// are not defined by the spec and are refused (<see cref="Problem"/>). Mandatory elements
/// (min &gt; 0) and modifier elements are always kept: a reader must not miss them.
/// <c>_summary=true</c> keeps summary and mandatory elements at every level, driven by the
/// spec's element definitions. A subsetted resource is marked with the SUBSETTED meta tag, as
/// the spec requires; a resource that no <c>_elements</c> name applies to (only other types
/// were named) is returned whole.
/// </summary>
internal sealed class ElementFilter(SummaryMode summary, FrozenSet<string>? elements, FrozenDictionary<string, FrozenSet<string>>? typedElements, FhirSpec spec)
{
    public SummaryMode Summary { get; } = summary;

    /// <summary>The filter the request asks for, or null to return resources whole.</summary>
    public static ElementFilter? FromRequest(FhirRequest request, FhirSpec spec) =>
        From(request.QueryValue("_summary"), request.QueryValue("_elements"), spec);

    /// <summary>Why <paramref name="elementsText"/> is not a valid <c>_elements</c> value, or null.</summary>
    public static string? Problem(string? elementsText, FhirSpec spec)
    {
        foreach (var item in Items(elementsText))
        {
            var parts = item.Split('.');
            if (parts.Any(p => p.Length == 0) || parts.Length > 2 || (parts.Length == 2 && !spec.IsResourceType(parts[0])))
            {
                return $"_elements: '{item}' is not a root element name (R4 allows 'name' or 'Type.name', not deeper paths).";
            }
        }
        return null;
    }

    public static ElementFilter? From(string? summaryText, string? elementsText, FhirSpec spec)
    {
        var summary = summaryText switch
        {
            "true" => SummaryMode.True,
            "text" => SummaryMode.Text,
            "data" => SummaryMode.Data,
            "count" => SummaryMode.Count,
            _ => SummaryMode.None,
        };
        FrozenSet<string>? elements = null;
        FrozenDictionary<string, FrozenSet<string>>? typed = null;
        var items = Items(elementsText).ToList();
        if (items.Count > 0)
        {
            elements = items.Where(e => !e.Contains('.', StringComparison.Ordinal)).ToFrozenSet(StringComparer.Ordinal);
            typed = items.Where(e => e.Contains('.', StringComparison.Ordinal))
                .Select(e => (Type: e[..e.IndexOf('.', StringComparison.Ordinal)], Name: e[(e.IndexOf('.', StringComparison.Ordinal) + 1)..]))
                .GroupBy(e => e.Type, StringComparer.Ordinal)
                .ToFrozenDictionary(g => g.Key, g => g.Select(e => e.Name).ToFrozenSet(StringComparer.Ordinal), StringComparer.Ordinal);
        }
        return summary == SummaryMode.None && elements is null ? null : new ElementFilter(summary, elements, typed, spec);
    }

    private static IEnumerable<string> Items(string? elementsText) =>
        string.IsNullOrWhiteSpace(elementsText) ? [] : elementsText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The <c>_elements</c> names that apply to <paramref name="resourceType"/> (null: none given; empty: none apply).</summary>
    private FrozenSet<string>? ElementsFor(string resourceType)
    {
        if (elements is null)
        {
            return null;
        }
        if (typedElements is null || !typedElements.TryGetValue(resourceType, out var forType) || forType.Count == 0)
        {
            return elements;
        }
        return elements.Count == 0 ? forType : elements.Union(forType).ToFrozenSet(StringComparer.Ordinal);
    }

    public ReadOnlyMemory<byte> Apply(ReadOnlyMemory<byte> json)
    {
        if (Summary is SummaryMode.Count || json.IsEmpty)
        {
            return json;
        }
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var typeName = root.TryGetProperty("resourceType", out var rt) ? rt.GetString() ?? "" : "";
        var type = spec.FindType(typeName);
        var selected = ElementsFor(typeName);
        if (selected is { Count: 0 } && Summary == SummaryMode.None)
        {
            return json; // _elements named only other types: this resource is not subsetted
        }
        var buffer = new ArrayBufferWriter<byte>(json.Length);
        using (var w = new Utf8JsonWriter(buffer, Meridian.Fhir.Serialization.FhirJsonWriter.Options))
        {
            w.WriteStartObject();
            foreach (var p in root.EnumerateObject())
            {
                if (p.NameEquals("meta"))
                {
                    WriteMeta(w, p.Value);
                }
                else if (Keep(type, p.Name, selected is { Count: > 0 } ? selected : null))
                {
                    if (Summary == SummaryMode.True && selected is not { Count: > 0 } && ChildType(type, p.Name) is { } childType)
                    {
                        w.WritePropertyName(p.Name);
                        WriteSummary(w, p.Value, childType);
                    }
                    else
                    {
                        p.WriteTo(w);
                    }
                }
            }
            if (!root.TryGetProperty("meta", out _))
            {
                WriteMeta(w, default);
            }
            w.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    private bool Keep(StructureType? type, string jsonName, FrozenSet<string>? elements)
    {
        if (jsonName is "resourceType" or "id")
        {
            return true;
        }
        var name = jsonName.StartsWith('_') ? jsonName[1..] : jsonName;
        var element = type?.FindByJsonName(name)?.Element;
        if (element is not null && element.Min > 0)
        {
            return true; // mandatory elements survive every summary and _elements selection
        }
        if (elements is not null)
        {
            return elements.Contains(name) || (element is not null && elements.Contains(element.Name))
                || (element is not null && element.IsModifier);
        }
        return Summary switch
        {
            SummaryMode.True => element?.IsSummary ?? false,
            SummaryMode.Text => name == "text",
            SummaryMode.Data => name != "text",
            _ => true,
        };
    }

    /// <summary>The structure to recurse into below a kept element, or null to copy it whole
    /// (primitives, unknown elements, and content references whose structure is not resolved).</summary>
    private StructureType? ChildType(StructureType? parent, string jsonName)
    {
        if (parent is null || jsonName.StartsWith('_'))
        {
            return null;
        }
        var slot = parent.FindByJsonName(jsonName);
        if (slot is null)
        {
            return null;
        }
        var type = slot.Element.Backbone ?? (slot.TypeCode is "BackboneElement" or "Element" or "Resource" ? null : spec.FindType(slot.TypeCode));
        return type is { Kind: TypeKind.Complex or TypeKind.Backbone } ? type : null;
    }

    /// <summary><c>_summary=true</c> below the top level: keep summary (and mandatory) elements, recursively.</summary>
    private void WriteSummary(Utf8JsonWriter w, JsonElement value, StructureType type)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteSummary(w, item, type);
                }
                w.WriteEndArray();
                return;
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var p in value.EnumerateObject())
                {
                    var name = p.Name.StartsWith('_') ? p.Name[1..] : p.Name;
                    var element = type.FindByJsonName(name)?.Element;
                    if (element is null || !(element.IsSummary || element.Min > 0 || name == "id"))
                    {
                        continue;
                    }
                    w.WritePropertyName(p.Name);
                    if (ChildType(type, p.Name) is { } child)
                    {
                        WriteSummary(w, p.Value, child);
                    }
                    else
                    {
                        p.Value.WriteTo(w);
                    }
                }
                w.WriteEndObject();
                return;
            default:
                value.WriteTo(w);
                return;
        }
    }

    private static void WriteMeta(Utf8JsonWriter w, JsonElement meta)
    {
        w.WriteStartObject("meta");
        var tagged = false;
        if (meta.ValueKind == JsonValueKind.Object)
        {
            foreach (var m in meta.EnumerateObject())
            {
                if (m.NameEquals("tag") && m.Value.ValueKind == JsonValueKind.Array)
                {
                    w.WriteStartArray("tag");
                    foreach (var t in m.Value.EnumerateArray())
                    {
                        t.WriteTo(w);
                    }
                    WriteSubsetted(w);
                    w.WriteEndArray();
                    tagged = true;
                }
                else
                {
                    m.WriteTo(w);
                }
            }
        }
        if (!tagged)
        {
            w.WriteStartArray("tag");
            WriteSubsetted(w);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteSubsetted(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue");
        w.WriteString("code", "SUBSETTED");
        w.WriteString("display", "subsetted");
        w.WriteEndObject();
    }
}
