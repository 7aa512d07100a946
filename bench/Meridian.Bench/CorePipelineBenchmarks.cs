using BenchmarkDotNet.Attributes;
using Meridian.Fhir.Serialization;

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
