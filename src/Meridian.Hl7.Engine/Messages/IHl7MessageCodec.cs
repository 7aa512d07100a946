using System.Collections.Immutable;

namespace Meridian.Hl7.Engine.Messages;

/// <summary>
/// The engine's narrow view of the HL7 v2 parser (Meridian.Hl7): read the header and one
/// configured field of a received payload, and write an acknowledgment. The engine never looks
/// inside a message otherwise; mapping to FHIR gets the raw bytes (<see cref="Processing.IHl7MessageProcessor"/>).
/// </summary>
public interface IHl7MessageCodec
{
    /// <param name="raw">The payload as received (its own character set, MSH-18).</param>
    /// <param name="orderingKeyPath">A field path such as <c>PID-3</c> or <c>PID-3.1</c> whose value
    /// orders processing (null: none).</param>
    Hl7Reading Read(ReadOnlyMemory<byte> raw, string? orderingKeyPath);

    /// <summary>An ACK answering <paramref name="original"/> (null when the payload had no usable
    /// MSH), encoded for the wire.</summary>
    byte[] Acknowledge(Hl7Header? original, Hl7Ack ack);
}

/// <summary>The result of reading a payload: a header (possibly with warnings), or why not.</summary>
public sealed record Hl7Reading(Hl7Header? Header, string? Error, ImmutableArray<string> Warnings)
{
    /// <summary>Value of the ordering key path (empty or null: none).</summary>
    public string? OrderingKey { get; init; }

    public bool IsReadable => Header is not null && Error is null;

    public static Hl7Reading Failed(string error, Hl7Header? partial = null) => new(partial, error, []);
}

/// <summary>Acknowledgment codes (HL7 table 0008).</summary>
public enum Hl7AckCode { AA, AE, AR, CA, CE, CR }

/// <summary>One acknowledgment: the code, a text for MSA-3/ERR, and an HL7 table 0357 error
/// code (e.g. 101 required field missing, 203 unsupported version, 207 application internal error).</summary>
public sealed record Hl7Ack(Hl7AckCode Code, string? Text = null, string? ErrorCode = null);
