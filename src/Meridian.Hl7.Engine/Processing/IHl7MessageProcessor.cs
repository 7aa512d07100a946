using System.Collections.Immutable;
using Meridian.Hl7.Engine.Inbox;

namespace Meridian.Hl7.Engine.Processing;

/// <summary>
/// The seam the v2→FHIR mapping plugs into: given a message durably stored in the inbox (raw
/// bytes, sender, mapping set, tenant, client id), do the work and say whether it succeeded. A
/// failure is kept in the error store with its reason and can be replayed, so processors must be
/// idempotent (a message may be processed again after a crash between its work and its
/// completion mark; the v2-to-FHIR mapping uses identifier-based conditional updates for that).
/// Exceptions are treated as failures with the exception's message.
/// </summary>
public interface IHl7MessageProcessor
{
    Task<ProcessingOutcome> ProcessAsync(StoredHl7Message message, CancellationToken cancellationToken);
}

/// <summary>
/// A processor that can do several messages' work at once (the v2→FHIR mapping lands them in one
/// FHIR transaction). The dispatcher hands it messages of one tenant and one sending client, in
/// inbox order, never two with the same ordering key (those wait for the next batch, so a key's
/// messages still run one after another). It returns one outcome per message, in the same order;
/// one bad message must fail only itself (isolate it and redo the others).
/// </summary>
public interface IHl7BatchProcessor : IHl7MessageProcessor
{
    Task<ImmutableArray<ProcessingOutcome>> ProcessBatchAsync(IReadOnlyList<StoredHl7Message> messages, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="ProcessBatchAsync(IReadOnlyList{StoredHl7Message}, CancellationToken)"/>, with a way
    /// to mark messages processed inside the store transaction that lands their work:
    /// <paramref name="completion"/> gives a participant (<see cref="Meridian.Storage.TransactOptions.Participant"/>)
    /// for the messages that transaction lands, or null. A processor that used it returns
    /// <see cref="ProcessingOutcome.ProcessedAndRecorded"/> for them (only when that transaction
    /// committed), and the dispatcher skips their completion commit. By default the participant is not used.
    /// </summary>
    Task<ImmutableArray<ProcessingOutcome>> ProcessBatchAsync(IReadOnlyList<StoredHl7Message> messages, InlineCompletion? completion, CancellationToken cancellationToken) =>
        ProcessBatchAsync(messages, cancellationToken);
}

/// <summary>A participant that marks <paramref name="messages"/> (one tenant) processed in the
/// transaction it joins; null when the inbox cannot (see <see cref="IHl7Inbox.CompletionParticipant"/>).</summary>
public delegate Meridian.Storage.ITransactionParticipant? InlineCompletion(IReadOnlyList<StoredHl7Message> messages);
