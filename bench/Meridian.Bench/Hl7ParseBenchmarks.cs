using System.Text;
using BenchmarkDotNet.Attributes;
using Meridian.Hl7;

namespace Meridian.Bench;

/// <summary>
/// Parsing an ORU^R01 with 10 OBX (the v2-to-FHIR IG's ORU_R01 header, patient and order, its
/// OBX segments cycled to ten), from bytes as the MLLP listener receives them; plus the typed
/// reads a mapping does, writing back, and building the ACK.
/// </summary>
[MemoryDiagnoser]
public class Hl7ParseBenchmarks
{
    private byte[] _oru = [];
    private Hl7Message _message = null!;
    private readonly Hl7ParseOptions _noChecks = new() { CheckDataTypes = false };
    private readonly Hl7AckOptions _ackOptions = new() { ControlId = "ACK1", Time = DateTimeOffset.UnixEpoch };

    [GlobalSetup]
    public void Setup()
    {
        var path = Path.Combine(SyntheaCorpus.SharedData(), "hl7v2", "v2-to-fhir", "messages", "ORU_R01.hl7");
        var segments = File.ReadAllText(path, Encoding.UTF8).Split('\r', StringSplitOptions.RemoveEmptyEntries);
        var head = segments.TakeWhile(s => !s.StartsWith("OBX", StringComparison.Ordinal)).ToList();
        var observations = segments.Where(s => s.StartsWith("OBX", StringComparison.Ordinal)).ToList();
        var oru = head.Concat(Enumerable.Range(0, 10).Select(i => observations[i % observations.Count])).ToList();
        _oru = Encoding.UTF8.GetBytes(string.Join('\r', oru) + "\r");
        var result = Hl7Parser.Parse(_oru);
        if (result.Message is null || result.Message.SegmentsOf("OBX").Count() != 10)
        {
            throw new InvalidOperationException("the benchmark message did not parse into 10 OBX");
        }
        _message = result.Message;
    }

    public int Bytes => _oru.Length;

    [Benchmark(Baseline = true)]
    public int Parse() => Hl7Parser.Parse(_oru).Message!.Segments.Length;

    [Benchmark]
    public int ParseWithoutDataTypeChecks() => Hl7Parser.Parse(_oru, options: _noChecks).Message!.Segments.Length;

    [Benchmark]
    public int ParseAndReadObservations()
    {
        var message = Hl7Parser.Parse(_oru).Message!;
        var n = message.Header.ControlId.Length + message.Segment("PID")!.Field(5).Component("family").Value.Length;
        foreach (var obx in message.SegmentsOf("OBX"))
        {
            n += obx.Field(3).Component("code").Value.Length + obx.Field(5).Value.Length + obx.Field(6).Component(1).Value.Length;
            n += obx.Field(14).AsDateTime() is null ? 0 : 1;
        }
        return n;
    }

    [Benchmark]
    public int Write() => Hl7Writer.ToBytes(_message).Length;

    [Benchmark]
    public int BuildAck() => Hl7Writer.ToBytes(Hl7AckBuilder.Build(_message, Hl7AckCode.CA, _ackOptions)).Length;
}
