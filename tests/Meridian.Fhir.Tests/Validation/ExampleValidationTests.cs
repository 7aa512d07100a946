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
        // The parsed tree validates the same (the examples have no parser issues).
        var tree = Meridian.Fhir.Serialization.FhirJsonParser.R4.Parse(bytes).Resource!;
        Assert.Equal(errors.Select(e => e.ToString()), FhirValidator.R4.Validate(tree).Where(i => i.IsError).Select(e => e.ToString()));
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

    [Fact]
    public void Concurrent_validation_gives_the_same_issues_as_sequential()
    {
        // One shared validator on many threads: plans, compiled invariants and the engine are
        // shared; every per-call state must be private to the call.
        var files = Directory.EnumerateFiles(SharedData.PathOf("fhir-examples"), "*.json").Order(StringComparer.Ordinal).Take(150).ToList();
        var inputs = files.Select(File.ReadAllBytes).ToList();
        var sequential = inputs.Select(b => string.Join("\n", FhirValidator.R4.Validate(b))).ToList();
        var parallel = new string[inputs.Count];
        Parallel.For(0, inputs.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            i => parallel[i] = string.Join("\n", FhirValidator.R4.Validate(inputs[i])));
        Assert.Equal(sequential, parallel);
    }

    private static string WithoutIndexes(string expression) => System.Text.RegularExpressions.Regex.Replace(expression, @"\[\d+\]", "");
}
