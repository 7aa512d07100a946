using System.Net;
using System.Security.Cryptography.X509Certificates;
using Meridian.Audit;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Messages;
using Meridian.Hl7.Engine.Mllp;
using Meridian.Hl7.Engine.Processing;
using Meridian.Storage;

namespace Meridian.Hl7.Engine;

/// <summary>
/// The engine assembled on one store: inbox (group commit), receiver, MLLP listener (when a port
/// is configured), dispatcher (when a processor is given) and replay. Without a processor
/// messages stay durably in the inbox as <c>received</c>, awaiting a mapping: visible
/// (<see cref="IHl7Inbox.CountsAsync"/>), never dropped, processed once a mapping is installed.
/// </summary>
public sealed class Hl7Engine : IAsyncDisposable
{
    private readonly InboxWriter _writer;
    private readonly MllpListener? _listener;
    private readonly Hl7Dispatcher? _dispatcher;
    private readonly Hl7AppAckSender? _appAcks;

    private Hl7Engine(IHl7Inbox inbox, InboxWriter writer, Hl7Receiver receiver, MllpListener? listener, Hl7Dispatcher? dispatcher, Hl7AppAckSender? appAcks)
    {
        _appAcks = appAcks;
        Inbox = inbox;
        _writer = writer;
        Receiver = receiver;
        _listener = listener;
        _dispatcher = dispatcher;
        Replay = new Hl7Replay(inbox, receiver);
    }

    public IHl7Inbox Inbox { get; }

    public Hl7Receiver Receiver { get; }

    public Hl7Replay Replay { get; }

    /// <summary>The MLLP endpoint (port resolved), or null when no listener runs.</summary>
    public IPEndPoint? MllpEndpoint => _listener?.LocalEndpoint;

    public bool IsProcessing => _dispatcher is not null;

    /// <summary>The dispatcher (null when not processing): tests and metrics read its lane use.</summary>
    public Hl7Dispatcher? Dispatcher => _dispatcher;

    /// <param name="store">A migrated relational store (SQLite or PostgreSQL), also used for audit.</param>
    /// <param name="processor">The v2→FHIR processing; null keeps messages awaiting a mapping.</param>
    /// <param name="codec">The HL7 v2 reader/ACK writer (default: the Meridian.Hl7 parser).</param>
    public static Hl7Engine Start(IFhirStore store, AuditAppender appender, Hl7EngineOptions options, IHl7MessageProcessor? processor = null,
        IHl7MessageCodec? codec = null, TimeProvider? clock = null, TimeSpan? rescanInterval = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(appender);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid HL7 v2 engine options: " + string.Join(" ", problems), nameof(options));
        }
        var inbox = RelationalHl7Inbox.For(store, clock);
        var writer = new InboxWriter(inbox, options.MaxInboxBatch);
        codec ??= Hl7Codecs.Default;
        var receiver = new Hl7Receiver(codec, writer, inbox, options, new AppenderHl7Audit(appender, clock), clock);
        Hl7Dispatcher? dispatcher = null;
        Hl7AppAckSender? appAcks = null;
        if (processor is not null)
        {
            dispatcher = new Hl7Dispatcher(inbox, processor, options.ProcessingLanes, rescanInterval, nodeId: options.NodeId, claimLease: options.ClaimLease,
                pressure: receiver.Pressure, busyLanes: options.ProcessingLanesWhileReceiving,
                inlineCompletion: options.CompleteInMappingTransaction);
            receiver.Stored += dispatcher.Wake;
            // Application acknowledgments follow processing outcomes: sent where messages are processed.
            appAcks = new Hl7AppAckSender(inbox, codec, options, clock);
        }
        MllpListener? listener = null;
        if (options.MllpPort is not null)
        {
            listener = new MllpListener(receiver, options, LoadCertificate(options));
            listener.Start();
        }
        return new Hl7Engine(inbox, writer, receiver, listener, dispatcher, appAcks);
    }

    private static X509Certificate2? LoadCertificate(Hl7EngineOptions options)
    {
        if (options.TlsCertificate is not { Length: > 0 } path)
        {
            return null;
        }
        var ext = Path.GetExtension(path).ToUpperInvariant();
        if (ext is ".PFX" or ".P12")
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, options.TlsPassword);
        }
        using var pem = X509Certificate2.CreateFromPemFile(path, options.TlsKey);
        // Re-imported so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Stops accepting, drains the inbox queue (every acknowledged message is committed), stops processing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync().ConfigureAwait(false);
        }
        await _writer.DisposeAsync().ConfigureAwait(false);
        if (_dispatcher is not null)
        {
            await _dispatcher.DisposeAsync().ConfigureAwait(false);
        }
        if (_appAcks is not null)
        {
            await _appAcks.DisposeAsync().ConfigureAwait(false);
        }
    }
}
