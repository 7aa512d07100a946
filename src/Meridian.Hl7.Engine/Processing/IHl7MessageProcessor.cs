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
