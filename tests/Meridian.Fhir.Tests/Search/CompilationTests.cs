using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Search;
using Meridian.Fhir.Specification;
using Xunit.Abstractions;

namespace Meridian.Fhir.Tests.Search;

public class CompilationTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_R4_expression_and_component_compiles_with_the_FHIRPath_engine()
    {
        var parameters = FhirSpec.R4.SearchParameters;
        Assert.Equal(1400, parameters.Length);
        var compiled = 0;
        var failures = new List<string>();
        foreach (var p in parameters)
        {
            foreach (var expression in p.Components.Select(c => c.Expression).Prepend(p.Expression))
            {
                if (expression is null)
                {
                    continue;
                }
                if (FhirPathEngine.R4.TryCompile(expression, out _, out var error))
                {
                    compiled++;
                }
                else
                {
                    failures.Add($"{p.Url}: {expression}: {error}");
                }
            }
        }
        output.WriteLine($"compiled {compiled}; failed {failures.Count}: {string.Join("; ", failures)}");
        Assert.Empty(failures);
        // 1,394 parameter expressions (6 parameters have none) + 96 composite component expressions
        Assert.Equal(1490, compiled);
        Assert.Equal(1394, parameters.Count(p => p.Expression is not null));
    }

    [Fact]
    public void Only_parameters_without_an_expression_are_skipped()
    {
        var indexer = SearchIndexer.R4;
        foreach (var s in indexer.Skipped)
        {
            output.WriteLine($"{s.Parameter.Url} ({s.Parameter.Type}): {s.Reason}");
        }
        Assert.Equal(6, indexer.Skipped.Length);
        Assert.All(indexer.Skipped, s => Assert.Null(s.Parameter.Expression));
    }

    [Fact]
    public void Every_applicable_parameter_has_a_plan_for_each_resource_type()
    {
        var indexer = SearchIndexer.R4;
        var planned = 0;
        var engine = new List<string>();
        var missing = new List<string>();
        foreach (var type in FhirSpec.R4.ResourceTypes)
        {
            var plans = indexer.PlansFor(type);
            planned += plans.Length;
            var expected = FhirSpec.R4.SearchParametersFor(type).Where(p => p.Expression is not null).Select(p => p.Url);
            missing.AddRange(expected.Except(plans.Select(p => p.Definition.Url)).Select(url => $"{type}:{url}"));
            engine.AddRange(plans.Where(p => p.Selector.Engine == "fhirpath").Select(p => $"{type}:{p.Definition.Code}"));
        }
        var observation = indexer.IndexedParameters("Observation");
        Assert.Contains(observation, p => p.Code == "code-value-quantity");
        Assert.DoesNotContain(observation, p => p.Expression is null);
        Assert.Empty(indexer.IndexedParameters("NoSuchType"));
        output.WriteLine($"{planned} (type, parameter) plans; FHIRPath engine for: {string.Join(", ", engine)}");
        // The package's example-extension parameter claims base Patient but its expression is on
        // DocumentReference: nothing of it applies to a Patient.
        Assert.Equal(["Patient:http://hl7.org/fhir/SearchParameter/example-extension"], missing);
        Assert.True(planned > 2500, $"{planned} plans");
        // Everything but Patient.deceased runs on the allocation-free navigation plans.
        Assert.Equal(["Patient:deceased"], engine);
    }
}
