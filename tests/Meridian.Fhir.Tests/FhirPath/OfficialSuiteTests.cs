using Meridian.Fhir.FhirPath;
using Xunit.Abstractions;

namespace Meridian.Fhir.Tests.FhirPath;

/// <summary>
/// Runs the official FHIRPath R4 suite (935 cases). The pass count may only go up: the floor here
/// is the number documented in docs/conformance.md, where every remaining failure is explained.
/// </summary>
public sealed class OfficialSuiteTests(ITestOutputHelper output)
{
    /// <summary>Documented in docs/conformance.md; raise it when more cases pass.</summary>
    private const int DocumentedPassCount = 931;

    [Fact]
    public void Suite_has_all_cases()
    {
        Assert.Equal(935, OfficialSuite.Cases.Count);
    }

    [Fact]
    public void Suite_pass_count_does_not_drop_below_the_documented_number()
    {
        var engine = FhirPathEngine.R4;
        var passed = 0;
        var failures = new List<string>();
        foreach (var c in OfficialSuite.Cases)
        {
            var failure = OfficialSuite.Run(engine, c);
            if (failure is null)
            {
                passed++;
            }
            else
            {
                failures.Add($"{c.Group}/{c.Name}: `{c.Expression.ReplaceLineEndings(" ")}` -> {failure}");
            }
        }
        output.WriteLine($"passed {passed} of {OfficialSuite.Cases.Count}");
        foreach (var f in failures)
        {
            output.WriteLine(f);
        }
        var report = Environment.GetEnvironmentVariable("MERIDIAN_FHIRPATH_REPORT");
        if (!string.IsNullOrEmpty(report))
        {
            File.WriteAllLines(report, [$"passed {passed} of {OfficialSuite.Cases.Count}", .. failures]);
        }
        Assert.True(passed >= DocumentedPassCount, $"FHIRPath suite: {passed} passed, documented {DocumentedPassCount}");
    }
}
