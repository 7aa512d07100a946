using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Messages;

namespace Meridian.Hl7.Engine;

/// <summary>FHS/BHS batches in one frame: each message is received as its own payload (its own inbox
/// row, duplicate detection by MSH-10, its own ACK inside the answering ACK batch, sent only
/// after every message's commit); a malformed batch is refused as a whole (AR), none of its
/// messages stored, the raw batch kept in the error store.</summary>
public sealed partial class Hl7Receiver
{
    private async Task<Hl7Receipt> ReceiveBatchAsync(ReadOnlyMemory<byte> raw, Hl7BatchReading batch, Hl7Origin origin, CancellationToken ct)
    {
        if (batch.Error is { } error)
        {
            var unreadable = new Hl7Reading(null, error, []) { Parsed = System.Text.Encoding.UTF8.GetString(raw.Span) };
            var sender = _options.SenderFor(batch.SendingApplication, batch.SendingFacility);
            long? errorId = null;
            try
            {
                errorId = await _inbox.RecordRejectedAsync(new RejectedMessage(sender?.Tenant ?? DefaultTenant, batch.SendingApplication + "|" + batch.SendingFacility,
                    batch.BatchControlId.Length > 0 ? batch.BatchControlId : null, "BATCH", origin.Remote, error, _clock.GetUtcNow(), raw.ToArray()), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Still refused; the sender sees the reason and resends a corrected batch.
            }
            var refusal = new Hl7Ack(Hl7AckCode.AR, errorId is { } id ? $"{error} (error store id {id})" : error, Hl7ErrorCodes.SegmentSequence);
            return new Hl7Receipt(Hl7ReceiptKind.Rejected, refusal, _codec.Acknowledge(unreadable, refusal)) { ErrorId = errorId };
        }
        // Received side by side: they share the inbox's group commits.
        var receipts = await Task.WhenAll(batch.Messages.Select(m => ReceiveAsync(m, origin, ct))).ConfigureAwait(false);
        var kind = receipts.Any(r => r.Kind == Hl7ReceiptKind.Unavailable) ? Hl7ReceiptKind.Unavailable
            : receipts.Any(r => r.Kind == Hl7ReceiptKind.Rejected) ? Hl7ReceiptKind.Rejected
            : receipts.Length > 0 && receipts.All(r => r.Kind == Hl7ReceiptKind.Duplicate) ? Hl7ReceiptKind.Duplicate
            : Hl7ReceiptKind.Stored;
        var summary = receipts.Length == 0 ? new Hl7Ack(Hl7AckCode.AA, "empty batch") : receipts.FirstOrDefault(r => r.Kind != Hl7ReceiptKind.Stored && r.Kind != Hl7ReceiptKind.Duplicate)?.Ack ?? receipts[0].Ack;
        return new Hl7Receipt(kind, summary, _codec.AcknowledgeBatch(batch, [.. receipts.Select(r => r.AckBytes)]))
        {
            InboxId = receipts.FirstOrDefault(r => r.InboxId is not null)?.InboxId,
        };
    }
}
