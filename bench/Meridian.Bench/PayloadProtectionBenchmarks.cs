using BenchmarkDotNet.Attributes;
using Meridian.Storage.Protection;

namespace Meridian.Bench;

/// <summary>
/// The CPU cost encryption at rest adds per stored or read version (issue 4): sealing and
/// opening real Synthea resources with AES-256-GCM (PayloadFormat, as the store does with a
/// cached data key). Per resource (OperationsPerInvoke), to set beside the core pipeline.
/// </summary>
[MemoryDiagnoser]
public class PayloadProtectionBenchmarks
{
    private const int Count = 2000;
    private readonly byte[] _key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    private byte[][] _resources = [];
    private byte[][] _sealed = [];

    [GlobalSetup]
    public void Setup()
    {
        _resources = SyntheaCorpus.Load(Count);
        _sealed = [.. _resources.Select((r, i) => PayloadFormat.Seal(1, _key, Address(i), r))];
        Console.WriteLine($"// corpus: {_resources.Length} resources, {_resources.Sum(r => (long)r.Length):N0} bytes");
    }

    private static PayloadAddress Address(int i) => new("default", "Observation", "id-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), 1);

    [Benchmark(OperationsPerInvoke = Count)]
    public int Seal()
    {
        var n = 0;
        for (var i = 0; i < _resources.Length; i++)
        {
            n += PayloadFormat.Seal(1, _key, Address(i), _resources[i]).Length;
        }
        return n;
    }

    [Benchmark(OperationsPerInvoke = Count)]
    public int Open()
    {
        var n = 0;
        for (var i = 0; i < _sealed.Length; i++)
        {
            n += PayloadFormat.TryOpen(_key, Address(i), _sealed[i], out var plain) ? plain.Length : 0;
        }
        return n;
    }
}
