using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Meridian.Fhir.Specification;

namespace Meridian.Bench;

/// <summary>Cold load of the embedded specification: a fresh process per launch, no warm-up,
/// one iteration, so JIT and first-touch costs are included as a server start pays them.</summary>
[SimpleJob(RunStrategy.ColdStart, launchCount: 5, warmupCount: 0, iterationCount: 1)]
public class SpecLoadBenchmarks
{
    [Benchmark]
    public int LoadSpecPack()
    {
        using var s = typeof(FhirSpec).Assembly.GetManifestResourceStream("r4-core.pack.json.br")!;
        return FhirSpec.Load(s).ResourceTypes.Length;
    }
}
