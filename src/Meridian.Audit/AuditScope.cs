using Meridian.Api;

namespace Meridian.Audit;

/// <summary>
/// The audit facts of one request, handed to the store through
/// <see cref="Meridian.Storage.TransactOptions.Audit"/> so the write's AuditEvent is built from
/// them inside the data transaction. Counts the transactions that committed with an AuditEvent,
/// so the interceptor knows whether the request still needs a record of its own.
/// </summary>
public sealed class AuditScope(FhirRequest request, AuditedInteraction interaction, DateTimeOffset started)
{
    private int _committed;

    public FhirRequest Request { get; } = request ?? throw new ArgumentNullException(nameof(request));

    public AuditedInteraction Interaction { get; } = interaction ?? throw new ArgumentNullException(nameof(interaction));

    public DateTimeOffset Started { get; } = started;

    /// <summary>Store transactions of this request that committed with their AuditEvent.</summary>
    public int CommittedRecords => Volatile.Read(ref _committed);

    internal void MarkCommitted() => Interlocked.Increment(ref _committed);
}
