using System.IO.Compression;
using Meridian.Fhir.Model;
using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Tests.Support;

namespace Meridian.Fhir.Tests.Search;

public class SyntheaExtractionTests
{
    private static FhirNode LoadBundle()
    {
        var file = Directory.GetFiles(SharedData.PathOf("synthea", "bundles"), "*.json.gz").Order(StringComparer.Ordinal).First();
        using var gz = new GZipStream(File.OpenRead(file), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return FhirJsonParser.R4.Parse(ms.ToArray()).Resource!;
    }

    [Fact]
    public void Bundle_entries_are_indexed_and_urn_uuid_references_resolve_within_the_bundle()
    {
        var bundle = LoadBundle();
        var observations = 0;
        foreach (var entry in bundle.ChildrenNamed("entry"))
        {
            var resource = entry.Child("resource")!;
            var entries = SearchIndexer.R4.Extract(resource);
            Assert.NotEmpty(entries);
            if (resource.TypeName != "Observation")
            {
                continue;
            }
            observations++;
            Assert.Contains(entries.Values<TokenValue>("code"), t => t.System == "http://loinc.org" && t.Code is not null);
            var subject = Assert.Single(entries.Values<ReferenceValue>("subject"));
            Assert.Equal(ReferenceKind.Uri, subject.Kind);
            Assert.StartsWith("urn:uuid:", subject.Url, StringComparison.Ordinal);
            // subject.where(resolve() is Patient): the urn:uuid is the Patient entry's fullUrl
            Assert.Equal(subject, Assert.Single(entries.Values<ReferenceValue>("patient")));
            Assert.NotEmpty(entries.Values<DateRangeValue>("date"));
            Assert.Contains(entries.Values<TokenValue>("status"), t => t.System == "http://hl7.org/fhir/observation-status");
        }
        Assert.True(observations > 10, $"{observations} observations");
    }

    [Fact]
    public void Blood_pressure_components_pair_each_code_with_its_own_value()
    {
        var bundle = LoadBundle();
        var bp = bundle.ChildrenNamed("entry").Select(e => e.Child("resource")!)
            .First(r => r.TypeName == "Observation" && r.ChildrenNamed("component").Count() == 2);
        var entries = SearchIndexer.R4.Extract(bp);
        var pairs = entries.Values<CompositeValue>("component-code-value-quantity");
        Assert.Equal(2, pairs.Count); // two components x (one coding, one value) – no cross pairs
        foreach (var component in bp.ChildrenNamed("component"))
        {
            var code = component.Child("code")!.Child("coding")!.Child("code")!.Text;
            var value = decimal.Parse(component.Child("value")!.Child("value")!.Text!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains(pairs, p => p.Components[0] is TokenValue t && t.Code == code
                && p.Components[1] is QuantityValue q && q.Value == value && q.CanonicalUnit is not null);
        }
    }
}
