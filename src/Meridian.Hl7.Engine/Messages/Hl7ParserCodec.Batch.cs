using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Meridian.Hl7.Engine.Messages;

/// <summary>
/// FHS/BHS batches in one frame (HL7 v2 chapter 2, batch protocol). Each message is handed to the
/// receiver as its own payload (written back losslessly from the parse); the batch is refused as
/// a whole when its structure is off (a count in BTS/FTS that does not match, a segment outside
/// any message, a message that does not parse or lacks MSH-9/MSH-10), so a sender never has to
/// work out which half of a broken batch was taken.
/// </summary>
public sealed partial class Hl7ParserCodec
{
    public Hl7BatchReading? ReadBatch(ReadOnlyMemory<byte> raw)
    {
        var span = raw.Span;
        var start = 0;
        while (start < span.Length && span[start] is (byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t' or 0x0B)
        {
            start++;
        }
        if (span.Length - start < 3 || !(span.Slice(start, 3).SequenceEqual("FHS"u8) || span.Slice(start, 3).SequenceEqual("BHS"u8)))
        {
            return null;
        }
        var batch = Hl7Parser.ParseBatch(span);
        var header = batch.BatchHeaders.FirstOrDefault() ?? batch.FileHeader;
        string Field(Hl7Segment? segment, int position) => segment is null ? "" : segment.Field(position).Value.Split('^')[0];
        var messages = ImmutableArray.CreateBuilder<byte[]>();
        string? error = batch.Issues.FirstOrDefault(i => i.Severity == Hl7Severity.Error || i.Code == Hl7IssueCodes.BatchStructure)?.Message;
        var n = 0;
        foreach (var result in batch.Results)
        {
            n++;
            if (error is not null)
            {
                break;
            }
            if (result.Message is not { } message)
            {
                error = $"message {n} of the batch does not parse: {result.ErrorReason}";
                break;
            }
            if (message.Header.ControlId.Length == 0 || message.Header.MessageType.Length == 0)
            {
                error = $"message {n} of the batch lacks MSH-9 or MSH-10";
                break;
            }
            messages.Add(Hl7Writer.ToBytes(message));
        }
        return new Hl7BatchReading(error is null ? messages.ToImmutable() : [], error is null ? null : "malformed batch: " + error)
        {
            HasFileHeader = batch.FileHeader is not null,
            BatchControlId = Field(header, 11),
            FileControlId = Field(batch.FileHeader, 11),
            SendingApplication = Field(header, 3),
            SendingFacility = Field(header, 4),
            ReceivingApplication = Field(header, 5),
            ReceivingFacility = Field(header, 6),
        };
    }

    /// <summary>
    /// The answer is an acknowledgment batch with one ACK per message (BHS-12 / FHS-12 naming the
    /// received batch and file, BTS-1 the count). The standard also allows an empty batch meaning
    /// "all accepted"; we acknowledge every message explicitly because one batch can mix stored,
    /// duplicate and refused messages, and senders reconcile by MSA-2 (MSH-10) per message.
    /// </summary>
    public byte[] AcknowledgeBatch(Hl7BatchReading batch, IReadOnlyList<byte[]> acks)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(acks);
        var now = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmsszzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal);
        var us = batch.ReceivingApplication.Length > 0 ? batch.ReceivingApplication : "MERIDIAN";
        var text = new StringBuilder();
        if (batch.HasFileHeader)
        {
            text.Append($"FHS|^~\\&|{us}|{batch.ReceivingFacility}|{batch.SendingApplication}|{batch.SendingFacility}|{now}||||{Hl7AckBuilder.NewControlId()}|{batch.FileControlId}\r");
        }
        text.Append($"BHS|^~\\&|{us}|{batch.ReceivingFacility}|{batch.SendingApplication}|{batch.SendingFacility}|{now}||||{Hl7AckBuilder.NewControlId()}|{batch.BatchControlId}\r");
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(text.ToString()));
        foreach (var ack in acks)
        {
            bytes.AddRange(ack);
            if (ack.Length > 0 && ack[^1] != (byte)'\r')
            {
                bytes.Add((byte)'\r');
            }
        }
        var trailer = $"BTS|{acks.Count.ToString(CultureInfo.InvariantCulture)}\r" + (batch.HasFileHeader ? "FTS|1\r" : "");
        bytes.AddRange(Encoding.UTF8.GetBytes(trailer));
        return [.. bytes];
    }
}
