using Meridian.Hl7.Engine.Inbox;

namespace Meridian.Hl7.Engine;

/// <summary>The outcome of replaying one error-store entry.</summary>
public sealed record ReplayResult(bool Replayed, string Message)
{
    public long? InboxId { get; init; }
    public long? NewErrorId { get; init; }
}

/// <summary>
/// Replay after an operator fixed the cause: a processing failure puts its inbox message back to
/// <c>received</c> (the dispatcher processes it again); a message refused at receipt is received
/// again from its raw bytes under the current configuration (stored if it now passes, or refused
/// again as a new error entry). Either way the entry is marked replayed, so the open list shows
/// only what still needs attention.
/// </summary>
public sealed class Hl7Replay(IHl7Inbox inbox, Hl7Receiver receiver)
{
    public async Task<ReplayResult> ReplayAsync(long errorId, string? operatorName = null, CancellationToken cancellationToken = default)
    {
        var error = await inbox.GetErrorAsync(errorId, cancellationToken).ConfigureAwait(false);
        if (error is null)
        {
            return new ReplayResult(false, $"no error {errorId}");
        }
        if (error.Status != ErrorStatus.Open)
        {
            return new ReplayResult(false, $"error {errorId} was already replayed");
        }
        if (error.Stage == ErrorStage.Process)
        {
            return await inbox.MarkReplayedAsync(errorId, cancellationToken).ConfigureAwait(false)
                ? new ReplayResult(true, $"inbox message {error.InboxId} queued for processing again") { InboxId = error.InboxId }
                : new ReplayResult(false, $"error {errorId} was already replayed");
        }
        var receipt = await receiver.ReceiveAsync(error.Raw, new Hl7Origin("replay", operatorName), cancellationToken).ConfigureAwait(false);
        switch (receipt.Kind)
        {
            case Hl7ReceiptKind.Unavailable:
                return new ReplayResult(false, "the store is unavailable: " + receipt.Ack.Text);
            case Hl7ReceiptKind.Rejected:
                await inbox.MarkReplayedAsync(errorId, cancellationToken).ConfigureAwait(false);
                return new ReplayResult(false, $"refused again: {receipt.Ack.Text}") { NewErrorId = receipt.ErrorId };
            default:
                await inbox.MarkReplayedAsync(errorId, cancellationToken).ConfigureAwait(false);
                return new ReplayResult(true, receipt.Kind == Hl7ReceiptKind.Duplicate
                    ? $"already stored as inbox message {receipt.InboxId}"
                    : $"stored as inbox message {receipt.InboxId}") { InboxId = receipt.InboxId };
        }
    }
}
