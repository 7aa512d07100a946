using System.Text.Json.Nodes;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>
/// One message per supported type converted and compared with its checked-in FHIR JSON
/// (Golden/*.json, reviewed field by field against the IG's segment maps). Every Bundle
/// validates clean with the core's validator. Regenerate after a deliberate mapping change with
/// MERIDIAN_UPDATE_GOLDEN=1 and review the diff.
/// </summary>
public sealed class GoldenTests
{
    public static TheoryData<string, string> Messages() => new()
    {
        { "adt-a01", "v2-to-fhir/messages/ADT_A01.hl7" },
        { "oru-r01", "v2-to-fhir/messages/ORU_R01.hl7" },
        { "orm-o01", "v2-to-fhir/messages/ORM_O01.hl7" },
        { "oml-o21", "v2-to-fhir/messages/OML_O21.hl7" },
        { "siu-s12", "v2-to-fhir/messages/SIU_S12.hl7" },
        { "vxu-v04", "v2-to-fhir/messages/VXU_V04.hl7" },
        { "mdm-t02", "v2-to-fhir/messages/MDM_T02.hl7" },
        { "adt-a03", "messages/ms-fhir-converter/ADT_A03__ADT-A03-02.hl7" },
        { "adt-a04", "messages/ms-fhir-converter/ADT_A04__ADT-A04-02.hl7" },
        { "adt-a08", "messages/ms-fhir-converter/ADT_A08__ADT-A08-01.hl7" },
        { "adt-a11", "messages/ms-fhir-converter/ADT_A11__ADT-A11-01.hl7" },
        { "adt-a13", "messages/ms-fhir-converter/ADT_A13__ADT-A13-02.hl7" },
        { "adt-a40", "messages/ms-fhir-converter/ADT_A40__ADT-A40-01.hl7" },
        { "rde-o11", "messages/ms-fhir-converter/RDE_O11__RDE-O11-01.hl7" },
        { "siu-s13", "messages/ms-fhir-converter/SIU_S13__SIU-S13-01.hl7" },
        { "siu-s14", "messages/ms-fhir-converter/SIU_S14__SIU-S14-01.hl7" },
        { "siu-s15", "messages/ms-fhir-converter/SIU_S15__SIU-S15-01.hl7" },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Converts_to_the_golden_bundle_and_validates(string name, string relative)
    {
        var result = Corpus.Convert(relative);
        Assert.True(result.Success, result.Error);
        var errors = Corpus.ValidationErrors(result.Bundle!);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var actual = result.ToJson(indented: true);
        var path = Path.Combine(AppContext.BaseDirectory, "Golden", name + ".json");
        if (Environment.GetEnvironmentVariable("MERIDIAN_UPDATE_GOLDEN") == "1")
        {
            var source = Path.Combine(SourceDirectory(), "Golden", name + ".json");
            File.WriteAllText(source, actual + "\n");
            return;
        }
        Assert.True(File.Exists(path), $"no golden file {name}.json (run with MERIDIAN_UPDATE_GOLDEN=1)");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(path)), JsonNode.Parse(actual)), $"{name}: the Bundle differs from Golden/{name}.json");
    }

    private static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
