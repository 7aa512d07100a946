using Meridian.Api;
using Meridian.Audit;
using Meridian.Storage;

namespace Meridian.Hl7.Engine;

/// <summary>Facts of one received message for the audit trail.</summary>
public sealed record Hl7AuditFact(string Tenant, string ClientId, Hl7Origin Origin, string? Sender, string? MessageType, string? ControlId, bool Accepted, string? Reason);

/// <summary>Makes the audit record of a received message durable (true) or reports that it could not (false).</summary>
public interface IHl7AuditSink
{
    Task<bool> RecordAsync(Hl7AuditFact fact, CancellationToken cancellationToken);
}

/// <summary>
/// Audits every message through the compliance core: a BALP AuditEvent (operation
/// <c>$hl7v2-receive</c>, action C) appended to the tenant's hash chain by <see cref="AuditAppender"/>,
/// with the sending integration's client id as the requestor and the peer address.
/// </summary>
public sealed class AppenderHl7Audit(AuditAppender appender, TimeProvider? clock = null) : IHl7AuditSink
{
    public const string Operation = "hl7v2-receive";

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public Task<bool> RecordAsync(Hl7AuditFact fact, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fact);
        return appender.AppendAsync(fact.Tenant, Hl7AuditRecords.Content(fact, _clock.GetUtcNow()), cancellationToken);
    }
}

/// <summary>The BALP AuditEvent of one received message (<c>$hl7v2-receive</c>, action C, the
/// sending integration's client as requestor): written by the inbox in the message's own
/// transaction for accepted messages, through <see cref="AppenderHl7Audit"/> for refusals.</summary>
public static class Hl7AuditRecords
{
    public static ResourceContent Content(Hl7AuditFact fact, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(fact);
        var caller = Caller.System(fact.ClientId) with { RemoteAddress = fact.Origin.Remote, UserAgent = fact.Origin.Transport };
        var record = new AuditRecord(fact.Tenant, "operation", "C", now, fact.Accepted ? "0" : "4", caller)
        {
            Operation = AppenderHl7Audit.Operation,
            OutcomeDescription = fact.Reason,
            Request = $"{fact.Origin.Transport.ToUpperInvariant()} {fact.MessageType ?? "?"} from {fact.Sender ?? "?"} control id {fact.ControlId ?? "?"}",
        };
        return AuditEventWriter.ToContent(record);
    }
}
