using Meridian.Fhir.Tests.Support;
using Meridian.Fhir.Validation;

namespace Meridian.Fhir.Tests.Validation;

public class ExampleValidationTests
{
    public static TheoryData<string> Examples()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.EnumerateFiles(SharedData.PathOf("fhir-examples"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Official_example_has_no_errors_except_documented_errata(string file)
    {
        var bytes = File.ReadAllBytes(SharedData.PathOf("fhir-examples", file));
        var errors = FhirValidator.R4.Validate(bytes).Where(i => i.IsError).ToList();
        if (KnownErrata.ByFile.TryGetValue(file, out var expected))
        {
            var actual = errors.Select(e => (e.Code, WithoutIndexes(e.Expression ?? ""), e.Source)).Distinct().Order().ToList();
            Assert.Equal(expected.Select(e => (e.Code, e.Expression, e.Source)).Order().ToList(), actual);
        }
        else
        {
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        }
    }

    private static string WithoutIndexes(string expression) => System.Text.RegularExpressions.Regex.Replace(expression, @"\[\d+\]", "");
}
