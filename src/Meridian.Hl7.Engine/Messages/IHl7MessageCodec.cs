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
