using System.Text.Json;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Tests.Support;
using Meridian.Fhir.Validation;

namespace Meridian.Fhir.Tests.Validation;

public class InvariantGuardTests
{
    [Theory]
    [InlineData("dataAbsentReason.empty() or value.empty()", "dataAbsentReason,value")]
    [InlineData("start.hasValue().not() or end.hasValue().not() or (start <= end)", "end,start")]
    [InlineData("code.empty() or system.exists()", "code")]
    [InlineData("value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()", "component,value")]
    [InlineData("fullUrl.exists() implies fullUrl.contains('/_history/').not()", "fullUrl")]
    [InlineData("Appointment.cancelationReason.exists() implies (Appointment.status='noshow')", "")]
    [InlineData("name.exists() or telecom.exists()", "")]
    [InlineData("low.empty() and high.empty()", "")]
    [InlineData("%resource.contained.empty() or x.empty()", "x")]
    [InlineData("(a | b).empty()", "")]
    [InlineData("a.count() = 0 or b.empty()", "b")]
    [InlineData("a ~ b or c.empty()", "c")]
    public void Guard_names_follow_the_syntax(string expression, string expected)
    {
        var guard = InvariantGuard.PassIfAbsent(FhirPathEngine.R4.Compile(expression).Syntax);
        Assert.Equal(expected, string.Join(",", guard));
    }

    [Fact]
    public void A_guard_never_skips_an_invariant_that_would_fail()
    {
        // Soundness over real data: wherever a guard lets the walk skip an invariant, the
        // invariant evaluated anyway is not false.
        var plans = FhirValidator.R4.Plans;
        var skipped = 0;
        foreach (var file in Directory.EnumerateFiles(SharedData.PathOf("fhir-examples"), "*.json")
            .Concat(Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Validation", "Broken"), "*.json")))
        {
            if (FhirJsonParser.R4.Parse(File.ReadAllBytes(file)).Resource is not { } root)
            {
                continue;
            }
            foreach (var node in root.Descendants().Prepend(root))
            {
                if (node.Type is null || plans.For(node.Type) is not { } tp)
                {
                    continue;
                }
                var constraints = tp.Invariants.AddRange(node.Definition is not null && plans.For(node.Definition) is { } ep ? ep.Invariants : []);
                foreach (var c in constraints)
                {
                    if (c.Expression is null || !InvariantGuard.AnyAbsent(node, c.Guard))
                    {
                        continue;
                    }
                    skipped++;
                    var context = new EvaluationContext { Resource = node.Resource, RootResource = RootOf(node.Resource!) };
                    bool? result;
                    try
                    {
                        result = c.Expression.Predicate(node, context);
                    }
                    catch (FhirPathException)
                    {
                        continue;
                    }
                    Assert.True(result != false, $"{Path.GetFileName(file)} {node.Location} {c.Key}: guard skipped a failing invariant");
                }
            }
        }
        Assert.True(skipped > 1000, $"guards skipped only {skipped} evaluations");
    }

    [Fact]
    public void Native_invariants_agree_with_the_fhirpath_engine()
    {
        var plans = FhirValidator.R4.Plans;
        var checkedCount = 0;
        var failures = 0;
        foreach (var root in AllTrees())
        {
            foreach (var node in root.Descendants().Prepend(root))
            {
                if (node.Type is null || plans.For(node.Type) is not { } tp)
                {
                    continue;
                }
                var constraints = tp.Invariants.AddRange(node.Definition is not null && plans.For(node.Definition) is { } ep ? ep.Invariants : []);
                foreach (var c in constraints)
                {
                    if (c.Native is not { } native)
                    {
                        continue;
                    }
                    var context = new EvaluationContext { Resource = node.Resource, RootResource = RootOf(node.Resource!) };
                    var engine = c.Expression!.Predicate(node, context);
                    var mine = native(node);
                    checkedCount++;
                    failures += mine ? 0 : 1;
                    Assert.True(mine == (engine != false), $"{node.Location} {c.Key}: native {mine}, engine {engine}");
                }
            }
        }
        Assert.True(checkedCount > 1000 && failures > 5, $"{checkedCount} native evaluations, {failures} failing");
    }

    [Theory]
    [InlineData("code.empty() or system.exists()", true)]
    [InlineData("(numerator.empty() xor denominator.exists()) and (numerator.exists() or extension.exists())", true)]
    [InlineData("start.hasValue().not() or end.hasValue().not() or (start <= end)", false)]
    [InlineData("name.exists() or telecom.exists() or address.exists() or organization.exists()", true)]
    [InlineData("low.value.exists() implies high.exists()", true)]
    [InlineData("Appointment.status.exists()", false)]
    [InlineData("(identifier.count() + name.count()) > 0", false)]
    public void Existence_logic_is_compiled_natively_where_it_can_be(string expression, bool native)
    {
        var syntax = FhirPathEngine.R4.Compile(expression).Syntax;
        Assert.Equal(native, NativeInvariants.Compile("x-1", expression, syntax) is not null);
    }

    private static IEnumerable<FhirNode> AllTrees()
    {
        foreach (var file in Directory.EnumerateFiles(SharedData.PathOf("fhir-examples"), "*.json")
            .Concat(Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Validation", "Broken"), "*.json")))
        {
            if (FhirJsonParser.R4.Parse(File.ReadAllBytes(file)).Resource is { } root)
            {
                yield return root;
            }
        }
    }

    private static FhirNode RootOf(FhirNode resource)
    {
        while (resource is { Name: "contained" } && resource.Parent?.Resource is { } outer)
        {
            resource = outer;
        }
        return resource;
    }
}
