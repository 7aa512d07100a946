using Meridian.Hl7.Fhir.Conversion;
using Meridian.Hl7.Fhir.Mapping;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>The built-in mapping files are sound, and a sender's folder overrides one map without code.</summary>
public sealed class MappingSetTests
{
    [Fact]
    public void The_built_in_mappings_have_no_problems()
    {
        Assert.True(MappingSet.Default.Problems.IsEmpty, string.Join("\n", MappingSet.Default.Problems));
        Assert.NotNull(MappingSet.Default.FindMessage("ADT", "A04", "ADT_A01"));
        Assert.NotNull(MappingSet.Default.FindVocabulary("AdministrativeSex"));
    }

    [Fact]
    public void A_senders_folder_overrides_one_segment_map_and_inherits_the_rest()
    {
        var folder = Directory.CreateTempSubdirectory("meridian-mapset-").FullName;
        try
        {
            // This hospital sends its local MRN in PID-2 and wants gender from its own table.
            File.WriteAllText(Path.Combine(folder, "pid.map"), """
                segment PID[Patient] Patient
                  key identifier
                  PID-3[*]   identifier[+]   CX
                  PID-5[*]   name[+]         XPN
                  PID-8      gender          code   LocalSex

                vocabulary LocalSex
                  F	http://hl7.org/fhir/administrative-gender	other	Other
                """);
            var set = MappingSet.LoadOverride(folder, "hospital-a");
            Assert.True(set.Problems.IsEmpty, string.Join("\n", set.Problems));
            var standard = Corpus.Convert("v2-to-fhir/messages/ADT_A01.hl7");
            var overridden = Corpus.Convert("v2-to-fhir/messages/ADT_A01.hl7", new Hl7FhirConverter(set));
            var before = Corpus.Resources(standard.Bundle!, "Patient").Single();
            var after = Corpus.Resources(overridden.Bundle!, "Patient").Single();
            Assert.Equal("female", before["gender"]!.GetValue<string>());
            Assert.Equal("other", after["gender"]!.GetValue<string>());
            Assert.NotNull(before["birthDate"]);
            Assert.Null(after["birthDate"]); // the override's PID map has no PID-7 rule
            // Everything else (Encounter from PV1, ...) is inherited unchanged.
            Assert.Equal(
                Corpus.Resources(standard.Bundle!, "Encounter").Single().ToJsonString(),
                Corpus.Resources(overridden.Bundle!, "Encounter").Single().ToJsonString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_broken_override_reports_file_and_line()
    {
        var set = MappingSet.FromTexts("broken", ["segment PID[Patient] Patient\n  PID-8 gender code NoSuchVocabulary\n"]);
        Assert.Contains(set.Problems, p => p.Contains("unknown vocabulary NoSuchVocabulary", StringComparison.Ordinal) && p.Contains(":2", StringComparison.Ordinal));
    }
}
