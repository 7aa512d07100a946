using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Search;
using Meridian.Fhir.Search.Internal;
using Meridian.Fhir.Specification;
using Meridian.Fhir.Terminology;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Tests.Support;
using Xunit.Abstractions;

namespace Meridian.Fhir.Tests.Search;

/// <summary>The navigation plans must select exactly what the FHIRPath engine selects for the
/// same expression, on every official example: two independent implementations checking each other.
/// Compared as sets of index values, because a FHIRPath union also drops equal items
/// (two given names "Peter") that the plan keeps and value de-duplication removes later. The
/// engine's union equality also merges quantities that differ only by comparator (">60" and
/// "60"), which index differently, so the plan may find more values, never fewer.</summary>
public class PathPlanEquivalenceTests(ITestOutputHelper output)
{
    [Fact]
    public void Navigation_plans_select_the_same_nodes_as_the_FHIRPath_engine()
    {
        var indexer = SearchIndexer.R4;
        var engine = FhirPathEngine.R4;
        var compared = 0;
        var mismatches = new List<string>();
        var engineErrors = new List<string>();
        var converter = new ValueConverter(FhirSpec.R4, UcumService.Default);
        foreach (var file in Directory.GetFiles(SharedData.PathOf("fhir-examples"), "*.json"))
        {
            var resource = FhirJsonParser.R4.Parse(File.ReadAllBytes(file)).Resource!;
            foreach (var plan in indexer.PlansFor(resource.TypeName))
            {
                if (plan.Selector.Engine != "path" || !engine.TryCompile(plan.Definition.Expression!, out var compiled, out _))
                {
                    continue;
                }
                var fast = new List<FhirNode>();
                plan.Selector.Select(resource, resource, fast);
                List<FhirNode> slow;
                try
                {
                    slow = [.. compiled!.Select(resource, new EvaluationContext { Resource = resource })];
                }
                catch (FhirPathException e)
                {
                    engineErrors.Add($"{Path.GetFileName(file)} {plan.Definition.Code}: engine threw {e.Message}");
                    continue;
                }
                compared++;
                if (!SameValues(converter, plan.Definition.Type, resource, fast, slow))
                {
                    mismatches.Add($"{Path.GetFileName(file)} {plan.Definition.Code} '{plan.Definition.Expression}': plan {fast.Count} vs engine {slow.Count}");
                }
            }
        }
        output.WriteLine($"{compared} selections compared; {mismatches.Count} mismatches; {engineErrors.Count} engine errors");
        foreach (var m in mismatches.Concat(engineErrors.Distinct()))
        {
            output.WriteLine(m);
        }
        Assert.True(compared > 10_000, $"only {compared} compared");
        Assert.Empty(mismatches);
        Assert.Empty(engineErrors);
    }

    private static bool SameValues(ValueConverter converter, SearchParamType type, FhirNode resource, List<FhirNode> plan, List<FhirNode> engine)
    {
        if (type == SearchParamType.Composite)
        {
            return plan.Count == engine.Count; // composite focus nodes are resources/backbones, never equal duplicates
        }
        var fromPlan = Convert(converter, type, resource, plan);
        var fromEngine = Convert(converter, type, resource, engine);
        return fromEngine.IsSubsetOf(fromPlan) && (fromPlan.Count == fromEngine.Count || type == SearchParamType.Quantity);
    }

    private static HashSet<SearchValue> Convert(ValueConverter converter, SearchParamType type, FhirNode resource, List<FhirNode> nodes)
    {
        var values = new List<SearchValue>();
        foreach (var n in nodes)
        {
            converter.Convert(type, n, resource, values);
        }
        return [.. values];
    }
}
