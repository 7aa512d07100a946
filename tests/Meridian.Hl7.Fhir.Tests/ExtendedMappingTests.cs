using System.Text.Json.Nodes;
using Meridian.Hl7.Fhir.Conversion;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>
/// The segments and fields added to the built-in mapping set: US Core race and ethnicity from
/// PID-10/PID-22, PD1 general practitioner, PRT as PractitionerRole, GT1 guarantor as
/// RelatedPerson, PR1 as Procedure, NTE as Observation.note or (after the OBR) the
/// DiagnosticReport note extension; and the sender's time zone for zone-less times. Golden
/// Bundles (Golden/*.json, MERIDIAN_UPDATE_GOLDEN=1 to regenerate) validate clean.
/// </summary>
public sealed class ExtendedMappingTests
{
    private static byte[] Message(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Messages", name + ".hl7"));

    private static Hl7ConversionResult Convert(string name, Hl7ConversionOptions? options = null) => Hl7FhirConverter.Default.Convert(Message(name), options);

    [Theory]
    [InlineData("adt-a01-extended")]
    [InlineData("oru-r01-notes")]
    public void Converts_to_the_golden_bundle_and_validates(string name)
    {
        var result = Convert(name);
        Assert.True(result.Success, result.Error);
        var errors = Corpus.ValidationErrors(result.Bundle!);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var actual = result.ToJson(indented: true);
        if (Environment.GetEnvironmentVariable("MERIDIAN_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(SourceDirectory(), "Golden", name + ".json"), actual + "\n");
            return;
        }
        var path = Path.Combine(AppContext.BaseDirectory, "Golden", name + ".json");
        Assert.True(File.Exists(path), $"no golden file {name}.json (run with MERIDIAN_UPDATE_GOLDEN=1)");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(path)), JsonNode.Parse(actual)), $"{name}: the Bundle differs from Golden/{name}.json");
    }

    [Fact]
    public void Race_and_ethnicity_become_us_core_extensions()
    {
        var patient = Corpus.Resources(Convert("adt-a01-extended").Bundle!, "Patient").Single();
        var extensions = patient["extension"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var race = extensions.Where(e => e["url"]!.GetValue<string>() == "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race").ToList();
        Assert.Equal(2, race.Count);
        var omb = race[0]["extension"]!.AsArray().Single(e => e!["url"]!.GetValue<string>() == "ombCategory")!;
        Assert.Equal("urn:oid:2.16.840.1.113883.6.238", omb["valueCoding"]!["system"]!.GetValue<string>());
        Assert.Equal("2106-3", omb["valueCoding"]!["code"]!.GetValue<string>());
        Assert.Equal("White", race[0]["extension"]!.AsArray().Single(e => e!["url"]!.GetValue<string>() == "text")!["valueString"]!.GetValue<string>());
        var ethnicity = extensions.Single(e => e["url"]!.GetValue<string>() == "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity");
        Assert.Contains("2135-2", ethnicity.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Pd1_prt_gt1_and_pr1_land_as_their_resources()
    {
        var bundle = Convert("adt-a01-extended").Bundle!;
        var patient = Corpus.Resources(bundle, "Patient").Single();
        Assert.Equal(2, patient["generalPractitioner"]!.AsArray().Count); // PD1-4 practitioner, PD1-3 organization
        var role = Corpus.Resources(bundle, "PractitionerRole").Single();
        Assert.Equal("PP", role["code"]![0]!["coding"]![0]!["code"]!.GetValue<string>());
        Assert.NotNull(role["practitioner"]);
        var guarantor = Corpus.Resources(bundle, "RelatedPerson").Single();
        Assert.Contains("GUAR", guarantor["relationship"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("Rivera", guarantor["name"]![0]!["family"]!.GetValue<string>());
        var procedure = Corpus.Resources(bundle, "Procedure").Single();
        Assert.Equal("completed", procedure["status"]!.GetValue<string>());
        Assert.Equal("0DTJ4ZZ", procedure["code"]!["coding"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(2, procedure["performer"]!.AsArray().Count);
        Assert.StartsWith("2024-03-15T13:00:00", procedure["performedDateTime"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_note_goes_to_the_observation_or_report_before_it()
    {
        var bundle = Convert("oru-r01-notes").Bundle!;
        var report = Corpus.Resources(bundle, "DiagnosticReport").Single();
        Assert.Contains("Fasting sample confirmed", report["extension"]!.ToJsonString(), StringComparison.Ordinal);
        var observations = Corpus.Resources(bundle, "Observation").ToList();
        Assert.Equal("Repeat in 3 months.", observations.Single(o => o["note"] is not null)["note"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(1, observations.Count(o => o["note"] is not null));
    }

    [Fact]
    public void Zone_less_times_are_read_in_the_senders_time_zone()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");
        var utc = Corpus.Resources(Convert("oru-r01-notes").Bundle!, "Observation").First()["effectiveDateTime"]!.GetValue<string>();
        Assert.Equal("2024-07-02T08:00:00Z", utc); // default: UTC
        var summer = Corpus.Resources(Convert("oru-r01-notes", new Hl7ConversionOptions { TimeZone = zone }).Bundle!, "Observation").First()["effectiveDateTime"]!.GetValue<string>();
        Assert.Equal("2024-07-02T08:00:00-05:00", summer); // CDT
        var winter = Corpus.Resources(Convert("adt-a01-extended", new Hl7ConversionOptions { TimeZone = zone }).Bundle!, "Procedure").Single()["performedDateTime"]!.GetValue<string>();
        Assert.Equal("2024-03-15T13:00:00-05:00", winter); // 15 March 2024: already CDT (DST began 10 March)
        var january = Hl7FhirConverter.Default.Convert(System.Text.Encoding.ASCII.GetBytes("MSH|^~\\&|LAB|HOSP|M|M|20240105120000||ORU^R01^ORU_R01|TZ1|P|2.5.1\rPID|1||X1^^^HOSP^MR||Doe^J\rOBR|1|O1|F1|1^Panel^LN|||20240105120000\rOBX|1|NM|2093-3^Chol^LN||180|mg/dL|||||F|||20240105120000\r"), new Hl7ConversionOptions { TimeZone = zone });
        Assert.Equal("2024-01-05T12:00:00-06:00", Corpus.Resources(january.Bundle!, "Observation").Single()["effectiveDateTime"]!.GetValue<string>()); // CST
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
