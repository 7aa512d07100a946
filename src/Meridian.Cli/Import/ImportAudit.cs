using Meridian.Api;
using Meridian.Audit;
using Meridian.Storage;

namespace Meridian.Cli.Import;

/// <summary>
/// <c>meridian import --data/--connection</c> writes past the HTTP host, so it brings the host's
/// audit with it: the same <see cref="FhirAuditInterceptor"/> over an <see cref="AuditingStore"/>.
/// Each Bundle the importer sends (a transaction chunk of up to <c>--chunk</c> resources, or a
/// refused chunk re-sent as a batch) is audited exactly as if it had been POSTed to the server:
/// a transaction gets one BALP AuditEvent (subtype <c>transaction</c>, one entity per stored
/// resource version, the patients involved) committed in the same database transaction as the
/// data and chained like every other; a batch entry gets its own, and the batch as a whole one
/// more. One event per committed unit rather than per resource: that is the interaction that
/// happened, and it keeps the trail the size of the work (not 500× it) while naming every version.
/// </summary>
public sealed class ImportAudit : IAsyncDisposable
{
    private readonly AuditAppender _appender;

    public ImportAudit(IFhirStore store, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        var time = clock ?? TimeProvider.System;
        _appender = new AuditAppender(store);
        Interceptor = new FhirAuditInterceptor(_appender, time);
        Store = new AuditingStore(store);
    }

    /// <summary>The store the importer's <see cref="FhirApi"/> must use (counts the AuditEvents committed with the data).</summary>
    public IFhirStore Store { get; }

    public IFhirInterceptor Interceptor { get; }

    /// <summary>
    /// The importer as it appears in the AuditEvents: the client <c>meridian-import</c> (system
    /// scopes, role integration) acting for the operating-system account that ran the command —
    /// an import straight into the database has no token, and whoever can run it on the host
    /// is the person accountable for it.
    /// </summary>
    public static Caller Operator() => Caller.System("meridian-import") with
    {
        UserId = "os:" + Environment.UserName,
        // No network peer: the command ran on this host (the agent's network address is typed
        // as an IP in our AuditEvents, so the host name goes into the user agent instead).
        UserAgent = "meridian-cli import on " + Environment.MachineName,
    };

    /// <summary>Drains the records still queued (batches' own events) before the store closes.</summary>
    public ValueTask DisposeAsync() => _appender.DisposeAsync();
}
