using System.Buffers;
using System.Text.Json;
using Meridian.Api.Internal;
using Meridian.Fhir.Search;
using Meridian.Fhir.Specification;

namespace Meridian.Api.Interactions;

/// <summary>
/// <c>GET metadata</c>: the CapabilityStatement, generated from what this layer implements for
/// every resource type in the spec, with each type's search parameters taken from the spec.
/// Built once per <see cref="FhirApi"/>.
/// </summary>
internal static class CapabilitiesInteraction
{
    private static readonly string[] s_typeInteractions =
        ["read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"];

    private static readonly string[] s_compartments = ["Patient", "Encounter", "RelatedPerson", "Practitioner", "Device"];

    public static byte[] Build(InteractionContext ctx)
    {
        var spec = ctx.Spec;
        // Only what can really be searched: the indexer extracts nothing for some parameters
        // (no expression: _content, _query…) and special ones other than near are not searchable.
        var unsupported = SearchIndexer.R4.Skipped.Select(s => s.Parameter.Url).ToHashSet(StringComparer.Ordinal);
        bool Searchable(SearchParameterDefinition p) =>
            !unsupported.Contains(p.Url) && (p.Type != SearchParamType.Special || p.Code == "near");
        var buffer = new ArrayBufferWriter<byte>(256 * 1024);
        using (var w = new Utf8JsonWriter(buffer, Meridian.Fhir.Serialization.FhirJsonWriter.Options))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "CapabilityStatement");
            w.WriteString("status", "active");
            // When this statement was generated: at the first /metadata request of this process.
            w.WriteString("date", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("publisher", "Meridian");
            w.WriteString("kind", "instance");
            w.WriteStartObject("software");
            w.WriteString("name", "Meridian");
            w.WriteString("version", typeof(FhirApi).Assembly.GetName().Version?.ToString() ?? "0");
            w.WriteEndObject();
            w.WriteStartObject("implementation");
            w.WriteString("description", "Meridian FHIR R4 server");
            w.WriteEndObject();
            w.WriteString("fhirVersion", spec.FhirVersion);
            Strings(w, "format", ["application/fhir+json", "json"]);
            Strings(w, "patchFormat", ["application/json-patch+json", "application/fhir+json"]);
            w.WriteStartArray("rest");
            w.WriteStartObject();
            w.WriteString("mode", "server");
            w.WriteStartArray("resource");
            foreach (var type in spec.ResourceTypes)
            {
                if (spec.IsResourceType(type))
                {
                    Resource(w, spec, type, Searchable, ctx.Options.MaxConditionalDeletes > 1 ? "multiple" : "single");
                }
            }
            w.WriteEndArray();
            Interactions(w, ["transaction", "batch", "search-system", "history-system"]);
            w.WriteStartArray("searchParam");
            foreach (var p in spec.SearchParametersFor("Resource"))
            {
                if (Searchable(p))
                {
                    SearchParam(w, p);
                }
            }
            w.WriteEndArray();
            w.WriteStartArray("operation");
            Operation(w, "validate", "http://hl7.org/fhir/OperationDefinition/Resource-validate");
            w.WriteEndArray();
            // Compartment searches (GET [base]/Patient/1/Observation, …/*) for every compartment the spec defines.
            Strings(w, "compartment", s_compartments.Where(c => spec.FindCompartment(c) is not null)
                .Select(c => "http://hl7.org/fhir/CompartmentDefinition/" + char.ToLowerInvariant(c[0]) + c[1..]));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Resource(Utf8JsonWriter w, FhirSpec spec, string type, Func<SearchParameterDefinition, bool> searchable, string conditionalDelete)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteString("profile", "http://hl7.org/fhir/StructureDefinition/" + type);
        Interactions(w, s_typeInteractions);
        w.WriteString("versioning", "versioned-update");
        w.WriteBoolean("readHistory", true);
        w.WriteBoolean("updateCreate", true);
        w.WriteBoolean("conditionalCreate", true);
        w.WriteString("conditionalRead", "not-supported");
        w.WriteBoolean("conditionalUpdate", true);
        w.WriteString("conditionalDelete", conditionalDelete);
        Strings(w, "referencePolicy", ["literal", "local"]);
        w.WriteStartArray("searchParam");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in spec.SearchParametersFor(type))
        {
            // cpb-12: names are unique per resource (the spec lists a few twice, e.g. via Resource and DomainResource).
            if (searchable(p) && names.Add(p.Code))
            {
                SearchParam(w, p);
            }
        }
        w.WriteEndArray();
        w.WriteStartArray("operation");
        Operation(w, "validate", "http://hl7.org/fhir/OperationDefinition/Resource-validate");
        if (type == "Patient")
        {
            Operation(w, "everything", "http://hl7.org/fhir/OperationDefinition/Patient-everything");
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void SearchParam(Utf8JsonWriter w, SearchParameterDefinition p)
    {
        w.WriteStartObject();
        w.WriteString("name", p.Code);
        w.WriteString("definition", p.Url);
        w.WriteString("type", p.Type.ToString().ToLowerInvariant());
        w.WriteEndObject();
    }

    private static void Operation(Utf8JsonWriter w, string name, string definition)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("definition", definition);
        w.WriteEndObject();
    }

    private static void Interactions(Utf8JsonWriter w, IEnumerable<string> codes)
    {
        w.WriteStartArray("interaction");
        foreach (var c in codes)
        {
            w.WriteStartObject();
            w.WriteString("code", c);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }
}
