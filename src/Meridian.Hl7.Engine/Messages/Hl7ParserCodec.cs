using System.Collections.Immutable;
using System.Text;

namespace Meridian.Hl7.Engine.Messages;

/// <summary>
/// <see cref="IHl7MessageCodec"/> on the Meridian.Hl7 parser: the payload decoded per MSH-18,
/// parse warnings kept (a tolerated quirk is not a refusal), structural errors and a missing
/// MSH-9 or MSH-10 refused; ACKs by <see cref="Hl7AckBuilder"/> in the sender's delimiters,
/// version and character set.
/// </summary>
public sealed partial class Hl7ParserCodec : IHl7MessageCodec
{
    public Hl7Reading Read(ReadOnlyMemory<byte> raw)
    {
        var result = Hl7Parser.Parse(raw.Span);
        var warnings = result.Warnings.Select(w => w.ToString()).ToImmutableArray();
        if (result.Message is not { } message)
        {
            return new Hl7Reading(null, result.ErrorReason ?? "the payload is not an HL7 v2 message", warnings) { Parsed = Encoding.UTF8.GetString(raw.Span) };
        }
        var h = message.Header;
        var header = new ReceivedHeader
        {
            SendingApplication = Name(h.SendingApplication),
            SendingFacility = Name(h.SendingFacility),
            ReceivingApplication = Name(h.ReceivingApplication),
            ReceivingFacility = Name(h.ReceivingFacility),
            MessageType = h.TriggerEvent.Length > 0 ? h.MessageType + "^" + h.TriggerEvent : h.MessageType,
            ControlId = h.ControlId,
            ProcessingId = h.ProcessingId,
            Version = h.Version,
            AcceptAckType = h.AcceptAckType,
            ApplicationAckType = h.ApplicationAckType,
        };
        // One message per frame: a second MSH would be stored and acknowledged under the first's id.
        var error = result.Issues.Any(i => i.Code == Hl7IssueCodes.MultipleMessages) ? "the payload holds several messages; send one message per frame"
            : header.ControlId.Length == 0 ? "MSH-10 (message control id) is missing"
            : h.MessageType.Length == 0 ? "MSH-9 (message type) is missing"
            : null;
        return new Hl7Reading(header, error, warnings) { Parsed = message };
    }

    private static string Name(Hl7Hd hd) => hd.NamespaceId.Length > 0 ? hd.NamespaceId : hd.UniversalId;

    public string? Value(Hl7Reading reading, string path)
    {
        ArgumentNullException.ThrowIfNull(reading);
        if (reading.Parsed is not Hl7Message message || !Hl7Path.TryParse(path, out var parsed)
            || parsed.Field == 0 || message.Segment(parsed.SegmentId, parsed.Occurrence - 1) is null)
        {
            return null; // absent segment: no key (and Select would hand back an empty default)
        }
        var value = parsed.Select(message).Value;
        return string.IsNullOrEmpty(value) ? null : value;
    }

    public byte[] Acknowledge(Hl7Reading reading, Hl7Ack ack)
    {
        ArgumentNullException.ThrowIfNull(reading);
        ArgumentNullException.ThrowIfNull(ack);
        var options = new Hl7AckOptions
        {
            Text = ack.Text,
            Errors = ack.ErrorCode is { } code ? [new Hl7AckError(code, ack.Text ?? Hl7ErrorCodes.Text(code))] : [],
        };
        var message = reading.Parsed is Hl7Message incoming
            ? Hl7AckBuilder.Build(incoming, ack.Code, options)
            : Hl7AckBuilder.BuildForUnparsed(reading.Parsed as string ?? "", ack.Code, options);
        return Hl7Writer.ToBytes(message);
    }
}
