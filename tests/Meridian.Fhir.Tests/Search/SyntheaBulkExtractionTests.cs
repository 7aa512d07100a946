using System.IO.Compression;
using Meridian.Fhir.Model;
using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Tests.Support;

namespace Meridian.Fhir.Tests.Search;

/// <summary>The bulk-export Synthea generation: local <c>Patient/id</c> references and conditional
/// references (<c>Practitioner?identifier=system|value</c>).</summary>
public class SyntheaBulkExtractionTests
{
    private static IEnumerable<FhirNode> Load(string file)
    {
        using var gz = new GZipStream(File.OpenRead(SharedData.PathOf("synthea", "bulk-ndjson-10-patients", file)), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var resources = new List<FhirNode>();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            resources.Add(FhirJsonParser.R4.Parse(line).Resource!);
        }
        return resources;
    }

    [Fact]
    public void Every_condition_is_indexed_with_its_patient()
    {
        var count = 0;
        foreach (var condition in Load("Condition.000.ndjson.gz"))
        {
            var e = SearchIndexer.R4.Extract(condition);
            var patient = Assert.Single(e.Values<ReferenceValue>("patient"));
            Assert.Equal((ReferenceKind.Local, "Patient"), (patient.Kind, patient.ResourceType));
            Assert.NotEmpty(e.Values<TokenValue>("code"));
            Assert.NotEmpty(e.Values<DateRangeValue>("onset-date"));
            count++;
        }
        Assert.True(count > 500, $"{count} conditions");
    }

    [Fact]
    public void Conditional_references_keep_their_type_and_are_not_parsed_as_urls()
    {
        var document = Load("DocumentReference.000.ndjson.gz").First();
        var e = SearchIndexer.R4.Extract(document);
        var author = Assert.Single(e.Values<ReferenceValue>("author"));
        Assert.Equal((ReferenceKind.Conditional, "Practitioner", null), (author.Kind, author.ResourceType, author.Id));
        Assert.StartsWith("Practitioner?identifier=", author.Reference, StringComparison.Ordinal);
        var custodian = Assert.Single(e.Values<ReferenceValue>("custodian"));
        Assert.Equal("Organization", custodian.ResourceType);
    }
}
