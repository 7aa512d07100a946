using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Meridian.Hl7.Fhir.Tests;

/// <summary>
/// The IG's published ADT_A01 output (v2-to-fhir/fhir-bundles) compared field by field with
/// ours: every leaf of each IG resource, as "path = value" with array positions dropped, is
/// looked up in our resource of the same type. The per-type counts are printed (and recorded in
/// docs/hl7v2-mapping.md); the total is a floor.
/// </summary>
public sealed class IgAdtA01ComparisonTests(ITestOutputHelper output)
{
    private const int MatchingFloor = 92;

    [Fact]
    public void Our_adt_a01_matches_the_igs_published_bundle_field_by_field()
    {
        var ig = JsonNode.Parse(File.ReadAllText(Path.Combine(Corpus.Root, "v2-to-fhir", "fhir-bundles", "FHIR_bundle.hl7_ADT_A01.json")))!.AsObject();
        var ours = Corpus.Convert("v2-to-fhir/messages/ADT_A01.hl7").Bundle!;
        int matched = 0, total = 0;
        foreach (var type in new[] { "Patient", "Encounter", "RelatedPerson", "Observation", "AllergyIntolerance", "Coverage", "Practitioner", "Location", "Organization" })
        {
            var igLeaves = Corpus.Resources(ig, type).SelectMany(r => Leaves(r, type)).Where(l => !l.StartsWith(type + ".meta", StringComparison.Ordinal) && !l.StartsWith(type + ".id", StringComparison.Ordinal)).ToHashSet();
            var ourLeaves = Corpus.Resources(ours, type).SelectMany(r => Leaves(r, type)).ToHashSet();
            var hits = igLeaves.Where(ourLeaves.Contains).ToList();
            matched += hits.Count;
            total += igLeaves.Count;
            output.WriteLine($"{type}: {hits.Count}/{igLeaves.Count} IG fields match");
            foreach (var miss in igLeaves.Except(hits).Order(StringComparer.Ordinal))
            {
                output.WriteLine("  missing or different: " + miss);
            }
        }
        output.WriteLine($"IG ADT_A01: {matched}/{total} fields match");
        Assert.True(matched >= MatchingFloor, $"{matched}/{total}");
    }

    private static IEnumerable<string> Leaves(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    if (name is "resourceType" or "reference")
                    {
                        continue;
                    }
                    foreach (var leaf in Leaves(child, path + "." + name))
                    {
                        yield return leaf;
                    }
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    foreach (var leaf in Leaves(child, path))
                    {
                        yield return leaf;
                    }
                }
                break;
            case JsonValue value:
                yield return path + " = " + value.ToJsonString();
                break;
        }
    }
}
