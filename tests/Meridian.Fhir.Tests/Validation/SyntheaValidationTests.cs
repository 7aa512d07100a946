using System.IO.Compression;
using Meridian.Fhir.Tests.Support;
using Meridian.Fhir.Validation;

namespace Meridian.Fhir.Tests.Validation;

/// <summary>Real generated data must pass: a sample of Synthea transaction bundles, validated
/// whole (so urn:uuid references are resolved through the bundle's fullUrls).</summary>
public class SyntheaValidationTests
{
    public static TheoryData<string> Sample()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(SharedData.PathOf("synthea", "bundles"), "*.json.gz").Order(StringComparer.Ordinal).Take(3))
        {
            data.Add(Path.GetFileName(f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sample))]
    public void Synthea_bundle_has_no_errors(string file)
    {
        using var gz = new GZipStream(File.OpenRead(SharedData.PathOf("synthea", "bundles", file)), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var issues = FhirValidator.R4.Validate(ms.ToArray());
        Assert.True(issues.Length == 0, string.Join("\n", issues.Take(20)));
    }
}
