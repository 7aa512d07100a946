using System.Text.Json;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Tests.Support;

namespace Meridian.Fhir.Tests.Serialization;

public class RoundTripTests
{
    public static TheoryData<string> Examples() => SharedData.OfficialExamples();

    [Theory]
    [MemberData(nameof(Examples))]
    public void Official_example_round_trips_to_identical_json(string file)
    {
        var bytes = File.ReadAllBytes(SharedData.PathOf("fhir-examples", file));
        var result = FhirJsonParser.R4.Parse(bytes);
        Assert.True(result.Resource is not null, string.Join("\n", result.Issues));
        Assert.Empty(result.Issues.Where(i => i.IsError).Select(i => i.ToString()));

        var written = FhirJsonWriter.ToUtf8(result.Resource!);
        using var original = JsonDocument.Parse(bytes);
        using var again = JsonDocument.Parse(written);
        Assert.Null(JsonSemantics.FirstDifference(original.RootElement, again.RootElement));
    }
}
