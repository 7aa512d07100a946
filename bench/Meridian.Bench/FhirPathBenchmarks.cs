using BenchmarkDotNet.Attributes;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Serialization;

namespace Meridian.Bench;

/// <summary>FHIRPath evaluations/s for typical search-parameter and invariant expressions, on
/// a Synthea Observation and Patient, compiled once (as every caller does).</summary>
[MemoryDiagnoser]
public class FhirPathBenchmarks
{
    private FhirNode _observation = null!;
    private FhirNode _patient = null!;
    private CompiledExpression _subject = null!;
    private CompiledExpression _code = null!;
    private CompiledExpression _effective = null!;
    private CompiledExpression _valueQuantity = null!;
    private CompiledExpression _family = null!;
    private CompiledExpression _invariant = null!;

    [GlobalSetup]
    public void Setup()
    {
        var corpus = SyntheaCorpus.Load(400).Select(r => FhirJsonParser.R4.Parse(r).Resource!).ToList();
        _observation = corpus.First(r => r.TypeName == "Observation" && r.Child("value")?.TypeName == "Quantity");
        _patient = corpus.First(r => r.TypeName == "Patient");
        var engine = FhirPathEngine.R4;
        _subject = engine.Compile("Observation.subject.where(resolve() is Patient)");
        _code = engine.Compile("Observation.code");
        _effective = engine.Compile("Observation.effective");
        _valueQuantity = engine.Compile("(Observation.value as Quantity) | (Observation.value as SampledData)");
        _family = engine.Compile("Patient.name.family | Practitioner.name.family");
        _invariant = engine.Compile("contained.contained.empty()");
    }

    [Benchmark]
    public int SubjectWhereResolveIsPatient() => _subject.Evaluate(_observation).Count;

    [Benchmark]
    public int Code() => _code.Evaluate(_observation).Count;

    [Benchmark]
    public int Effective() => _effective.Evaluate(_observation).Count;

    [Benchmark]
    public int ValueAsQuantity() => _valueQuantity.Evaluate(_observation).Count;

    [Benchmark]
    public int FamilyUnion() => _family.Evaluate(_patient).Count;

    [Benchmark]
    public bool? Dom2Invariant() => _invariant.Predicate(_patient);
}
