using System.IO.Compression;
using Meridian.Fhir.Tests.Support;
using Meridian.Fhir.Validation;

namespace Meridian.Fhir.Tests.Validation;

/// <summary>Real generated data must pass: a sample of Synthea transaction bundles, validated
/// whole (so urn:uuid references are resolved through the bundle's fullUrls).</summary>
public class SyntheaValidationTests
{
    public static TheoryData<string> Sample() => [.. SharedData.SyntheaBundleNames().Take(3)];

    [Theory]
    [MemberData(nameof(Sample))]
    public void Synthea_bundle_has_no_errors(string file)
    {
        var issues = FhirValidator.R4.Validate(SharedData.SyntheaBundle(file));
        Assert.True(issues.Length == 0, string.Join("\n", issues.Take(20)));
    }
}
