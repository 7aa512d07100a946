using BenchmarkDotNet.Attributes;
using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Validation;

namespace Meridian.Bench;

/// <summary>
/// The ingest hot path of the FHIR core on real Synthea resources: parse, then validate, then
/// extract search values. Each invocation processes the whole corpus; BenchmarkDotNet reports
/// time and allocation per resource (OperationsPerInvoke), so resources/s = 1e9 / mean ns.
/// </summary>
[MemoryDiagnoser]
public class CorePipelineBenchmarks
{
    private const int Count = 2000;
    private byte[][] _resources = [];

    [GlobalSetup]
    public void Setup()
    {
        _resources = SyntheaCorpus.Load(Count);
        Console.WriteLine($"// corpus: {_resources.Length} resources, {_resources.Sum(r => (long)r.Length):N0} bytes");
        // The corpus must be valid, or the benchmark would measure error reporting.
        var errors = _resources.Sum(r => FhirValidator.R4.Validate(r).Count(i => i.IsError));
        if (errors > 0)
        {
            throw new InvalidOperationException($"{errors} validation errors in the corpus");
        }
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int Parse()
    {
        var n = 0;
        foreach (var r in _resources)
        {
            n += FhirJsonParser.R4.Parse(r).Resource is null ? 0 : 1;
        }
        return n;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int ParseValidate()
    {
        var n = 0;
        foreach (var r in _resources)
        {
            var node = FhirJsonParser.R4.Parse(r).Resource!;
            n += FhirValidator.R4.Validate(node).Length;
        }
        return n;
    }

    /// <summary>What every write pays: the target is at least 20,000 resources/s per core.</summary>
    [Benchmark(OperationsPerInvoke = Count, Baseline = true)]
    public int ParseValidateExtract()
    {
        var n = 0;
        foreach (var r in _resources)
        {
            var node = FhirJsonParser.R4.Parse(r).Resource!;
            n += FhirValidator.R4.Validate(node).Length;
            n += SearchIndexer.R4.Extract(node).Length;
        }
        return n;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int ParseAndWrite()
    {
        var n = 0;
        foreach (var r in _resources)
        {
            n += FhirJsonWriter.ToUtf8(FhirJsonParser.R4.Parse(r).Resource!).Length;
        }
        return n;
    }
}
