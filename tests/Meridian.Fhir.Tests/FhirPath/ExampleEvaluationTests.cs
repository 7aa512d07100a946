using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Specification;
using Meridian.Fhir.Tests.Support;

namespace Meridian.Fhir.Tests.FhirPath;

/// <summary>Runs the spec's own expressions over the official R4 examples: nothing may throw, and the
/// examples (which the spec publishes as valid) must satisfy their resource-level invariants.</summary>
public sealed class ExampleEvaluationTests
{
    private static IEnumerable<FhirNode> Examples()
    {
        foreach (var file in Directory.EnumerateFiles(SharedData.PathOf("fhir-examples"), "*.json").Order(StringComparer.Ordinal))
        {
            if (FhirJsonParser.R4.Parse(File.ReadAllText(file)).Resource is { } r)
            {
                yield return r;
            }
        }
    }

    [Fact]
    public void Search_parameter_expressions_evaluate_on_every_example()
    {
        var failures = new List<string>();
        var evaluations = 0;
        var nonEmpty = 0;
        foreach (var resource in Examples())
        {
            foreach (var sp in FhirSpec.R4.SearchParametersFor(resource.TypeName))
            {
                if (string.IsNullOrEmpty(sp.Expression))
                {
                    continue;
                }
                evaluations++;
                try
                {
                    if (FhirPathEngine.R4.Compile(sp.Expression).Evaluate(resource).Count > 0)
                    {
                        nonEmpty++;
                    }
                }
                catch (FhirPathException e)
                {
                    failures.Add($"{resource.TypeName}/{resource.ResourceId} {sp.Code}: {e.Message}");
                }
            }
        }
        Assert.True(evaluations > 10_000, $"only {evaluations} evaluations");
        Assert.True(nonEmpty > 2_000, $"only {nonEmpty} non-empty results");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(50)));
    }

    [Fact]
    public void Resource_invariants_hold_on_every_example()
    {
        var failures = new List<string>();
        var evaluations = 0;
        foreach (var resource in Examples())
        {
            // The root element of a resource's snapshot carries the inherited dom-*/ele-* invariants too.
            {
                foreach (var c in resource.Type?.Root?.Constraints ?? [])
                {
                    evaluations++;
                    try
                    {
                        if (FhirPathEngine.R4.Compile(c.Expression).Predicate(resource) == false && c.IsError)
                        {
                            failures.Add($"{resource.TypeName}/{resource.ResourceId} {c.Key} false: {c.Expression}");
                        }
                    }
                    catch (FhirPathException e)
                    {
                        failures.Add($"{resource.TypeName}/{resource.ResourceId} {c.Key}: {e.Message}");
                    }
                }
            }
        }
        Assert.True(evaluations > 1_000, $"only {evaluations} evaluations");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(80)));
    }

    [Fact]
    public void Element_invariants_hold_on_every_example()
    {
        var failures = new List<string>();
        var evaluations = 0;
        foreach (var resource in Examples())
        {
            foreach (var node in resource.Descendants())
            {
                var constraints = node.Definition?.Constraints ?? [];
                // Complex types carry their own invariants on the type's root (e.g. Period per-1).
                var typeConstraints = node.Type is { Kind: not TypeKind.Backbone } t && !t.IsPrimitive ? t.Root?.Constraints ?? [] : [];
                foreach (var c in constraints.AddRange(typeConstraints))
                {
                    evaluations++;
                    try
                    {
                        var context = new EvaluationContext { Resource = node.Resource };
                        if (FhirPathEngine.R4.Compile(c.Expression).Predicate(node, context) == false && c.IsError)
                        {
                            failures.Add($"{resource.TypeName}/{resource.ResourceId} {node.Location} {c.Key} false: {c.Expression}");
                        }
                    }
                    catch (FhirPathException e)
                    {
                        failures.Add($"{resource.TypeName}/{resource.ResourceId} {node.Location} {c.Key}: {e.Message} in {c.Expression}");
                    }
                }
            }
        }
        Assert.True(evaluations > 10_000, $"only {evaluations} evaluations");
        // que-7 tests 'answer is Boolean' (System type) on a FHIR boolean, which FHIRPath says is false
        // (the suite asserts Patient.active.is(Boolean) is false); later FHIR versions write 'boolean'.
        Assert.Equal(
            ["Questionnaire/bb Questionnaire.item[0].item[1].item[2].item[0].enableWhen[0] que-7 false: operator = 'exists' implies (answer is Boolean)"],
            failures);
    }
}
