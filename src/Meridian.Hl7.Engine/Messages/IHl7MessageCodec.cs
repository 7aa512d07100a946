using System.Collections.Immutable;

namespace Meridian.Hl7.Engine.Messages;

/// <summary>
/// The engine's narrow view of HL7 v2: read the header of a received payload, read one
/// configured field (the ordering key), write an acknowledgment. The engine never looks inside a
/// message otherwise; processing gets the raw bytes (<see cref="Processing.IHl7MessageProcessor"/>).
/// Implemented on the Meridian.Hl7 parser by <see cref="Hl7ParserCodec"/>.
/// </summary>
public interface IHl7MessageCodec
{
    /// <param name="raw">The payload as received (its own character set, MSH-18).</param>
    Hl7Reading Read(ReadOnlyMemory<byte> raw);

    /// <summary>The value at <paramref name="path"/> (e.g. <c>PID-3</c>, <c>PID-3.1</c>) of a readable message; null when absent.</summary>
    string? Value(Hl7Reading reading, string path);

    /// <summary>An ACK answering the payload <paramref name="reading"/> came from (from a minimal
    /// header when it had no usable MSH), encoded for the wire.</summary>
    byte[] Acknowledge(Hl7Reading reading, Hl7Ack ack);

    /// <summary>An FHS/BHS batch split into its messages (each as its own payload), or null when
    /// the payload is not a batch. A batch whose envelope or any message is malformed has
    /// <see cref="Hl7BatchReading.Error"/> set. Codecs without batch support return null.</summary>
    Hl7BatchReading? ReadBatch(ReadOnlyMemory<byte> raw) => null;

    /// <summary>The acknowledgment batch answering <paramref name="batch"/>: the envelope with one
    /// acknowledgment message per received message, in order.</summary>
    byte[] AcknowledgeBatch(Hl7BatchReading batch, IReadOnlyList<byte[]> acks) => throw new NotSupportedException("this codec does not read batches");
}

/// <summary>A received batch: its messages (payloads), envelope facts for the answer, or why it is refused.</summary>
public sealed record Hl7BatchReading(ImmutableArray<byte[]> Messages, string? Error)
{
    public bool HasFileHeader { get; init; }

    /// <summary>BHS-11 (or FHS-11 without BHS): echoed in the answer's BHS-12 / FHS-12.</summary>
    public string BatchControlId { get; init; } = "";
    public string FileControlId { get; init; } = "";
    public string SendingApplication { get; init; } = "";
    public string SendingFacility { get; init; } = "";
    public string ReceivingApplication { get; init; } = "";
    public string ReceivingFacility { get; init; } = "";
}

/// <summary>The result of reading a payload: a header (possibly with warnings), or why not.</summary>
public sealed record Hl7Reading(ReceivedHeader? Header, string? Error, ImmutableArray<string> Warnings)
{
    /// <summary>The codec's own form of the payload (parsed message or text), opaque to the engine.</summary>
    public object? Parsed { get; init; }

    public bool IsReadable => Header is not null && Error is null;
}

/// <summary>One acknowledgment: the code (MSA-1), a text for MSA-3/ERR, and an HL7 table 0357 error
/// code (e.g. 101 required field missing, 203 unsupported version, 207 application internal error).</summary>
public sealed record Hl7Ack(Hl7AckCode Code, string? Text = null, string? ErrorCode = null);
