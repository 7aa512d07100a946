using System.Text.Json.Nodes;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Validation;
using Meridian.Hl7.Fhir.Conversion;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>The shared HL7 v2 data and helpers to convert and validate.</summary>
internal static class Corpus
{
    public static string Root => SharedData.PathOf("hl7v2");

    public static byte[] Read(string relative) => File.ReadAllBytes(Path.Combine(Root, relative));

    public static Hl7ConversionResult Convert(string relative, Hl7FhirConverter? converter = null) =>
        (converter ?? Hl7FhirConverter.Default).Convert(Read(relative));

    /// <summary>Every error the FHIR core's validator finds in the Bundle (entries included).</summary>
    public static List<string> ValidationErrors(JsonObject bundle)
    {
        var json = System.Text.Encoding.UTF8.GetBytes(bundle.ToJsonString());
        var parsed = FhirJsonParser.R4.Parse(json);
        var errors = parsed.Issues.Where(i => i.IsError).Select(i => i.ToString()).ToList();
        if (parsed.Resource is not null)
        {
            errors.AddRange(FhirValidator.R4.Validate(parsed.Resource).Where(i => i.IsError).Select(i => i.ToString()));
        }
        return errors;
    }

    public static IEnumerable<JsonObject> Resources(JsonObject bundle, string type) =>
        bundle["entry"]!.AsArray().Select(e => e!["resource"]!.AsObject()).Where(r => r["resourceType"]!.GetValue<string>() == type);
}
