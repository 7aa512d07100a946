using System.Collections.Immutable;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>
/// The durable store-and-forward inbox and the error store (tables <c>hl7_inbox</c> and
/// <c>hl7_errors</c>, migration 0011). <see cref="AppendAsync"/> returns only after the rows are
/// committed with the store's full durability: that is what allows the ACK to be sent.
/// Implemented on the relational store by <see cref="RelationalHl7Inbox"/>.
/// </summary>
public interface IHl7Inbox
{
    /// <summary>Stores new messages in one transaction; a message whose (tenant, sender, control id)
    /// is already stored is not stored again (<see cref="InboxAppend.Duplicate"/>).</summary>
    Task<ImmutableArray<InboxAppend>> AppendAsync(IReadOnlyList<InboxEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Messages waiting for processing (status <c>received</c>), oldest first, after <paramref name="afterId"/>.</summary>
    Task<ImmutableArray<StoredHl7Message>> PendingAsync(long afterId, int max, CancellationToken cancellationToken = default);

    Task<StoredHl7Message?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Records a processing outcome: processed, or failed (the message and reason also go to
    /// the error store, in the same transaction).</summary>
    Task CompleteAsync(long id, ProcessingOutcome outcome, CancellationToken cancellationToken = default);

    /// <summary>Records the outcomes of a processed batch; an implementation marks the successes in
    /// one transaction. By default, one <see cref="CompleteAsync"/> each.</summary>
    async Task CompleteManyAsync(IReadOnlyList<(long Id, ProcessingOutcome Outcome)> outcomes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        foreach (var (id, outcome) in outcomes)
        {
            await CompleteAsync(id, outcome, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A participant for a FHIR store transaction (<see cref="Meridian.Storage.TransactOptions.Participant"/>)
    /// that marks these messages of <paramref name="tenant"/> processed — as <see cref="CompleteManyAsync"/>
    /// does for successes — inside that transaction: the work and its completion mark commit together,
    /// and completion costs no commit of its own. Null (the default) when this inbox cannot; the
    /// dispatcher then completes them afterwards.
    /// </summary>
    Meridian.Storage.ITransactionParticipant? CompletionParticipant(string tenant, IReadOnlyList<long> ids) => null;

    /// <summary>Keeps a message that could not be accepted (stage <c>receive</c>), raw, with its reason; returns its error id.</summary>
    Task<long> RecordRejectedAsync(RejectedMessage rejected, CancellationToken cancellationToken = default);

    Task<ImmutableArray<Hl7Error>> ListErrorsAsync(ErrorQuery query, CancellationToken cancellationToken = default);

    Task<Hl7Error?> GetErrorAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Marks an error replayed; for a processing failure also puts its inbox message back to
    /// <c>received</c> (same transaction). False when the error does not exist or was already replayed.</summary>
    Task<bool> MarkReplayedAsync(long errorId, CancellationToken cancellationToken = default);

    /// <summary>Message counts per status (received = waiting for processing or a mapping).</summary>
    Task<ImmutableDictionary<string, long>> CountsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="max"/> received messages for processing node <paramref name="node"/>
    /// (a name unique per process), oldest first, for <paramref name="lease"/>. Safe with several
    /// nodes on one database: an ordering key held by one node is not claimed by another while the
    /// holder's lease lives, so one key's messages are never processed on two nodes at once, and in
    /// id order. Each call renews the node's leases; a node that stops calling loses its keys and
    /// claims after the lease, and another node takes them (and its unfinished messages).
    /// <see cref="CompleteAsync"/> ends a claim. Messages this node already holds are not returned again.
    /// </summary>
    Task<ImmutableArray<StoredHl7Message>> ClaimAsync(string node, int max, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Extends node <paramref name="node"/>'s key leases and message claims by <paramref name="lease"/>
    /// without claiming more (a node with enough work in flight keeps what it holds).</summary>
    Task RenewClaimsAsync(string node, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Gives up every claim and key lease of <paramref name="node"/>: its unfinished messages
    /// become claimable at once (a clean stop, or a node restarting under the same name).</summary>
    Task ReleaseClaimsAsync(string node, CancellationToken cancellationToken = default);

    /// <summary>Application acknowledgments due to be sent (processing finished), each taken for a
    /// short in-progress lease; the caller records the result with <see cref="RecordAppAckAsync"/>.</summary>
    Task<ImmutableArray<AppAckWork>> AppAcksDueAsync(int max, CancellationToken cancellationToken = default);

    Task RecordAppAckAsync(long id, AppAckResult result, CancellationToken cancellationToken = default);

    /// <summary>The application acknowledgment state of a message (null when it does not exist).</summary>
    Task<AppAckState?> AppAckStateAsync(long id, CancellationToken cancellationToken = default);
}

/// <summary>A due application acknowledgment: the message (with its outcome), MSH-16, attempts so far.</summary>
public sealed record AppAckWork(StoredHl7Message Message, string Mode, int Attempts);

/// <summary>What became of an attempt: new state (<see cref="AppAckStatus"/>), error, next attempt (pending).</summary>
public sealed record AppAckResult(string Status, bool Attempted, string? Error = null, DateTimeOffset? NextAttempt = null);

/// <summary>A message's application acknowledgment state, for operators and tests.</summary>
public sealed record AppAckState(string? Mode, string? Status, int Attempts, string? Error);

/// <summary>A message to store: routing facts from its header and sender configuration, and the raw bytes.</summary>
public sealed record InboxEntry(
    string Tenant, string Sender, string ControlId, string MessageType, string Version,
    string? OrderingKey, string? MappingSet, string ClientId, string? Remote, DateTimeOffset ReceivedAt, byte[] Raw)
{
    /// <summary>When set, the message's AuditEvent is written in the same transaction as its row
    /// (for a duplicate: with "duplicate of inbox message N" as the outcome).</summary>
    public Hl7AuditFact? Audit { get; init; }

    /// <summary>MSH-16 when the sender asked for an application acknowledgment (AL, ER, SU); null otherwise.</summary>
    public string? AppAckMode { get; init; }
}

/// <summary>Where an appended message ended up: its inbox id, and whether it was already there.</summary>
public readonly record struct InboxAppend(long Id, bool Duplicate);

/// <summary>A message in the inbox.</summary>
public sealed record StoredHl7Message(
    long Id, string Tenant, string Sender, string ControlId, string MessageType, string Version,
    string? OrderingKey, string? MappingSet, string ClientId, string? Remote, DateTimeOffset ReceivedAt,
    string Status, int Attempts, string? Reason, byte[] Raw);

/// <summary>Inbox statuses.</summary>
public static class InboxStatus
{
    /// <summary>Durably stored; waiting for processing, or for a mapping when none is configured.</summary>
    public const string Received = "received";
    public const string Processed = "processed";
    public const string Failed = "failed";
}

/// <summary>A message refused at receipt (unparseable, unknown sender, unsupported version, oversize).</summary>
public sealed record RejectedMessage(
    string Tenant, string? Sender, string? ControlId, string? MessageType, string? Remote, string Reason, DateTimeOffset OccurredAt, byte[] Raw);

/// <summary>One entry of the error store.</summary>
public sealed record Hl7Error(
    long Id, string Tenant, string Stage, string? Sender, string? ControlId, string? MessageType, long? InboxId,
    string? Remote, string Reason, DateTimeOffset OccurredAt, string Status, int Replays, byte[] Raw);

/// <summary>States of the enhanced-mode application acknowledgment of an inbox message.</summary>
public static class AppAckStatus
{
    /// <summary>Requested (MSH-16); processing has not finished.</summary>
    public const string Awaiting = "awaiting";
    /// <summary>Processing finished; to be sent (again) at its next attempt time.</summary>
    public const string Pending = "pending";
    public const string Sent = "sent";
    /// <summary>MSH-16 ER/SU and the outcome did not call for one.</summary>
    public const string Skipped = "skipped";
    /// <summary>Requested, but the sender has no return address configured (<c>AppAckAddress</c>).</summary>
    public const string Unroutable = "unroutable";
}

public static class ErrorStage
{
    public const string Receive = "receive";
    public const string Process = "process";
}

public static class ErrorStatus
{
    public const string Open = "open";
    public const string Replayed = "replayed";
}

/// <summary>Filters for listing errors; all optional. <see cref="Text"/> matches reason, control id or message type.</summary>
public sealed record ErrorQuery
{
    public string? Status { get; init; }
    public string? Sender { get; init; }
    public string? Stage { get; init; }
    public string? Text { get; init; }
    public long AfterId { get; init; }
    public int Max { get; init; } = 100;
}

/// <summary>What a processor made of a message: done, or failed with a reason an operator can act on.
/// <see cref="Recorded"/>: the processor already marked it processed in the inbox, in the same store
/// transaction as its work (<see cref="IHl7Inbox.CompletionParticipant"/>), so the dispatcher does not.</summary>
public sealed record ProcessingOutcome(bool Succeeded, string? Reason)
{
    public static ProcessingOutcome Processed { get; } = new(true, null);

    /// <summary>Processed, and marked so in the transaction that landed its work.</summary>
    public static ProcessingOutcome ProcessedAndRecorded { get; } = new(true, null) { Recorded = true };

    public bool Recorded { get; init; }

    public static ProcessingOutcome Failed(string reason) => new(false, reason);
}
