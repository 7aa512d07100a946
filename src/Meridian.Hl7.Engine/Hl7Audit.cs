using Meridian.Api;
using Meridian.Audit;

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
        var caller = Caller.System(fact.ClientId) with { RemoteAddress = fact.Origin.Remote, UserAgent = fact.Origin.Transport };
        var record = new AuditRecord(fact.Tenant, "operation", "C", _clock.GetUtcNow(), fact.Accepted ? "0" : "4", caller)
        {
            Operation = Operation,
            OutcomeDescription = fact.Reason,
            Request = $"{fact.Origin.Transport.ToUpperInvariant()} {fact.MessageType ?? "?"} from {fact.Sender ?? "?"} control id {fact.ControlId ?? "?"}",
        };
        return appender.AppendAsync(fact.Tenant, AuditEventWriter.ToContent(record), cancellationToken);
    }
}
