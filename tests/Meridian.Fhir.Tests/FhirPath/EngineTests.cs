using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Tests.FhirPath;

public sealed class EngineTests
{
    private static FhirNode Parse(string json) => FhirJsonParser.R4.Parse(json).Resource!;

    private static readonly FhirNode s_observation = Parse("""
        {"resourceType":"Observation","id":"o1","status":"final",
         "contained":[{"resourceType":"Patient","id":"p1","name":[{"family":"Contained"}]}],
         "code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}]},
         "subject":{"reference":"Patient/123"},
         "performer":[{"reference":"#p1"},{"reference":"Practitioner/9"}],
         "effectiveDateTime":"2021-03-04T10:00:00Z",
         "valueQuantity":{"value":72.5,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"},
         "extension":[{"url":"http://example.org/ext","valueString":"hello"}]}
        """);

    [Fact]
    public void Compiled_expressions_are_cached_per_text_and_context()
    {
        var engine = new FhirPathEngine(FhirSpec.R4);
        var a = engine.Compile("Observation.status");
        var b = engine.Compile("Observation.status");
        Assert.Same(a, b);
        Assert.Equal(1, engine.CachedCount);
        var typed = engine.Compile("Observation.status", "Observation");
        Assert.NotSame(a, typed);
        Assert.Equal(2, engine.CachedCount);
        Assert.False(engine.TryCompile("Observation.", out _, out _));
        Assert.Equal(2, engine.CachedCount);
    }

    [Fact]
    public void Cache_is_safe_under_concurrent_compilation()
    {
        var engine = new FhirPathEngine(FhirSpec.R4);
        var results = new CompiledExpression[64];
        Parallel.For(0, results.Length, i => results[i] = engine.Compile("Observation.value.where($this > 1 'kg')"));
        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.All(results, r => Assert.Equal(true, r.Predicate(s_observation)));
    }

    [Fact]
    public void Paths_and_choice_elements_navigate_the_tree()
    {
        var engine = FhirPathEngine.R4;
        Assert.Equal("final", Assert.IsType<FhirNode>(Assert.Single(engine.Compile("Observation.status").Evaluate(s_observation))).Text);
        var value = Assert.Single(engine.Compile("Observation.value").Select(s_observation));
        Assert.Equal("Quantity", value.TypeName);
        Assert.Equal(true, engine.Compile("Observation.value is Quantity").Predicate(s_observation));
        Assert.Equal(true, engine.Compile("(Observation.value as Quantity).value = 72.5").Predicate(s_observation));
        Assert.Equal(true, engine.Compile("Observation.value > 72000 'g'").Predicate(s_observation));
        Assert.Equal(true, engine.Compile("Observation.effective > @2021-01-01").Predicate(s_observation));
        Assert.Null(engine.Compile("Observation.issued").Predicate(s_observation));
    }

    [Fact]
    public void Resolve_handles_contained_placeholders_and_the_host_resolver()
    {
        var engine = FhirPathEngine.R4;
        Assert.Single(engine.Compile("Observation.subject.where(resolve() is Patient)").Select(s_observation));
        Assert.Empty(engine.Compile("Observation.subject.where(resolve() is Practitioner)").Select(s_observation));
        var contained = Assert.Single(engine.Compile("Observation.performer[0].resolve()").Select(s_observation));
        Assert.Equal("Contained", contained.Child("name")!.Child("family")!.Text);
        Assert.Equal("123", Assert.Single(engine.Compile("Observation.subject.resolve().id").Select(s_observation)).Text);

        var target = Parse("""{"resourceType":"Practitioner","id":"9","active":true}""");
        var ctx = new EvaluationContext { Resolver = r => r == "Practitioner/9" ? target : null };
        Assert.Equal(true, engine.Compile("Observation.performer[1].resolve().active").Predicate(s_observation, ctx));
    }

    [Fact]
    public void Resolve_finds_bundle_entries_by_full_url()
    {
        var bundle = Parse("""
            {"resourceType":"Bundle","type":"collection","entry":[
              {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","id":"a","active":true}},
              {"fullUrl":"urn:uuid:2","resource":{"resourceType":"Observation","id":"b","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:1"}}}]}
            """);
        var obs = bundle.Children.Last(c => c.Name == "entry").Child("resource")!;
        var patient = Assert.Single(FhirPathEngine.R4.Compile("subject.resolve()").Select(obs));
        Assert.Equal("a", patient.ResourceId);
        // A Bundle entry is its own %rootResource; only contained resources have a different root.
        Assert.Equal(true, FhirPathEngine.R4.Compile("%resource.id = 'b' and %rootResource.id = 'b'").Predicate(obs));
        var contained = s_observation.Child("contained")!.Child("name")!;
        Assert.Equal(true, FhirPathEngine.R4.Compile("%resource.id = 'p1' and %rootResource.id = 'o1'").Predicate(contained));
    }

    [Fact]
    public void Extensions_variables_and_fhir_constants()
    {
        var engine = FhirPathEngine.R4;
        Assert.Equal("hello", engine.Compile("Observation.extension('http://example.org/ext').value").Evaluate(s_observation).Select(i => ((FhirNode)i).Text).Single());
        Assert.Equal(true, engine.Compile("Observation.code.coding.system = %loinc").Predicate(s_observation));
        Assert.Equal(true, engine.Compile("%`vs-administrative-gender` = 'http://hl7.org/fhir/ValueSet/administrative-gender'").Predicate(s_observation));
        var ctx = new EvaluationContext { Variables = new Dictionary<string, object?> { ["limit"] = 70L } };
        Assert.Equal(true, engine.Compile("Observation.value.value > %limit").Predicate(s_observation, ctx));
        Assert.Throws<FhirPathException>(() => engine.Compile("%undefined").Evaluate(s_observation));
        Assert.Equal(true, engine.Compile("Observation.status.hasValue() and Observation.status.getValue() = 'final'").Predicate(s_observation));
    }

    [Fact]
    public void Three_valued_logic_and_empty_propagation()
    {
        var engine = FhirPathEngine.R4;
        Assert.Null(engine.Compile("{} and true").Predicate(s_observation));
        Assert.Equal(false, engine.Compile("{} and false").Predicate(s_observation));
        Assert.Equal(true, engine.Compile("{} or true").Predicate(s_observation));
        Assert.Equal(true, engine.Compile("false implies {}").Predicate(s_observation));
        Assert.Null(engine.Compile("{} = 1").Predicate(s_observation));
        Assert.Equal(true, engine.Compile("({} ~ {})").Predicate(s_observation));
        Assert.Null(engine.Compile("@2012-04-15 = @2012-04-15T10:00").Predicate(s_observation));
        Assert.Equal(true, engine.Compile("'A  b ' ~ 'a b'").Predicate(s_observation));
        Assert.Equal(true, engine.Compile("1.0 = 1 and 1 'm' = 100 'cm'").Predicate(s_observation));
        Assert.Throws<FhirPathException>(() => engine.Compile("(1 | 2).single()").Evaluate(s_observation));
    }

    [Fact]
    public void Date_arithmetic_and_aggregate()
    {
        var engine = FhirPathEngine.R4;
        Assert.Equal("2021-03-11T10:00:00Z", engine.Compile("Observation.effective + 1 week").Evaluate(s_observation).Single().ToString());
        Assert.Equal(15L, engine.Compile("(1 | 2 | 3 | 4 | 5).aggregate($this + $total, 0)").Evaluate(s_observation).Single());
        Assert.Equal("a,b", engine.Compile("('a' | 'b').join(',')").Evaluate(s_observation).Single());
    }

    [Fact]
    public void Host_functions_extend_the_symbol_table()
    {
        var twice = new FhirPathFunction("twice", 0, 0, (input, _, _) => [.. input, .. input]);
        var engine = new FhirPathEngine(FhirSpec.R4, [twice]);
        Assert.Equal(2L, engine.Compile("Observation.status.twice().count()").Evaluate(s_observation).Single());
        Assert.Throws<FhirPathException>(() => FhirPathEngine.R4.Compile("Observation.status.twice()"));
    }

    [Theory]
    [InlineData("100 'mg/dL' = 1 'g/L'", true)]
    [InlineData("37 'Cel' < 99 '[degF]'", true)]
    [InlineData("1 week = 7 'd'", true)]
    [InlineData("1 year = 1 'a'", null)]
    [InlineData("1 year ~ 1 'a'", true)]
    [InlineData("1 'kg' + 500 'g' = 1.5 'kg'", true)]
    [InlineData("(2 'cm' * 3 'm') = 0.06 'm2'", true)]
    [InlineData("5 'mg'.toQuantity('g') = 0.005 'g'", true)]
    [InlineData("1 'm'.comparable(1 's')", false)]
    public void Quantities_compare_through_ucum(string expression, bool? expected)
    {
        Assert.Equal(expected, FhirPathEngine.R4.Compile(expression).Predicate(s_observation));
    }
}
