namespace Meridian.Hl7.Engine;

/// <summary>
/// Settings of the HL7 v2 engine (host section <c>Meridian:Hl7</c>). Senders are configured by
/// <c>MSH-3|MSH-4</c> (or <c>MSH-3</c> alone, matching any facility); a message from a sender not
/// listed uses <see cref="DefaultSender"/>, or is refused with <see cref="RejectUnknownSenders"/>.
/// </summary>
public sealed class Hl7EngineOptions
{
    /// <summary>MLLP TCP port; null: no listener (0 picks a free one, for tests).</summary>
    public int? MllpPort { get; set; }

    /// <summary>Address the MLLP listener binds to.</summary>
    public string MllpHost { get; set; } = "127.0.0.1";

    /// <summary>TLS for MLLP: a PEM certificate (with <see cref="TlsKey"/>) or a .pfx/.p12 file; null: plain TCP.</summary>
    public string? TlsCertificate { get; set; }

    public string? TlsKey { get; set; }

    /// <summary>Password of a .pfx certificate.</summary>
    public string? TlsPassword { get; set; }

    /// <summary>Largest MLLP frame accepted; larger ones are rejected (AR/CR) and kept truncated in the error store.</summary>
    public int MaxFrameBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>A connection silent this long is closed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Connections served at once; further ones wait in the accept backlog.</summary>
    public int MaxConnections { get; set; } = 256;

    /// <summary>Messages committed per inbox transaction at most (group commit).</summary>
    public int MaxInboxBatch { get; set; } = 256;

    /// <summary>Processing lanes: messages with the same ordering key run in order in one lane; lanes run in parallel.
    /// Few lanes: each lane hands a batch processor everything it has queued (distinct keys) as one
    /// FHIR transaction, so 2 lanes make larger batches and fewer audited transactions than 8
    /// (measured: about half the CPU per mapped message, docs/benchmarks.md).</summary>
    public int ProcessingLanes { get; set; } = 2;

    /// <summary>Lanes that may map at once while messages are being received (a receipt under way or
    /// one finished within the last 100 ms): receipt — what senders wait on — comes before mapping, which
    /// catches up when receipt goes quiet. At least 1 (mapping never stops); set it to
    /// <see cref="ProcessingLanes"/> to give receipt no priority.</summary>
    public int ProcessingLanesWhileReceiving { get; set; } = 1;

    /// <summary>Mark mapped messages processed inside the FHIR transaction that lands them (one commit
    /// per batch instead of two). Off by default: its row locks are held for the whole FHIR write, which
    /// once serialised the lanes behind claim renewal; renewal now skips locked rows, yet on one 2-core
    /// host it still mapped fewer messages (117 vs 139 msg/s, docs/benchmarks.md, sixth session), since
    /// PostgreSQL's CPU, not the second commit, is the limit there.</summary>
    public bool CompleteInMappingTransaction { get; set; }

    /// <summary>This server's name when claiming inbox messages for processing, unique among the
    /// processing servers sharing the database; null: a new GUID per start. Several servers may
    /// process one database: each ordering key is processed by one of them at a time.</summary>
    public string? NodeId { get; set; }

    /// <summary>How long a processing server's claims on ordering keys live without renewal (renewed
    /// about every second): after a hard stop, its unfinished keys move to another server after this.</summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-sender settings, keyed <c>APP|FACILITY</c> or <c>APP</c>.</summary>
    public Dictionary<string, Hl7SenderOptions> Senders { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Settings for senders not listed (unless <see cref="RejectUnknownSenders"/>).</summary>
    public Hl7SenderOptions DefaultSender { get; set; } = new();

    /// <summary>Refuse senders not listed in <see cref="Senders"/> (AR, error 204) instead of using <see cref="DefaultSender"/>.</summary>
    public bool RejectUnknownSenders { get; set; }

    /// <summary>Folder with one sub-folder per mapping set (a sender's <see cref="Hl7SenderOptions.MappingSet"/>);
    /// null: only the built-in v2-to-FHIR mappings (docs/hl7v2-mapping.md).</summary>
    public string? MappingFolder { get; set; }

    /// <summary>False holds every accepted message in the inbox as received without mapping it (say,
    /// while a broken mapping is fixed); turned on again, processing resumes where it stopped.</summary>
    public bool Process { get; set; } = true;

    /// <summary>How often due application acknowledgments are looked for (and retried).</summary>
    public TimeSpan AppAckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a sender's receiver has to answer an application acknowledgment before the attempt counts as failed.</summary>
    public TimeSpan AppAckTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The settings for a message from <paramref name="application"/>/<paramref name="facility"/>, or null when refused.</summary>
    public Hl7SenderOptions? SenderFor(string application, string facility) =>
        Senders.TryGetValue(application + "|" + facility, out var exact) ? exact
        : Senders.TryGetValue(application, out var app) ? app
        : RejectUnknownSenders ? null : DefaultSender;

    public IEnumerable<string> Problems()
    {
        if (MllpPort is < 0 or > 65535)
        {
            yield return $"Hl7:MllpPort {MllpPort} is not a TCP port.";
        }
        if (MaxFrameBytes < 1024)
        {
            yield return "Hl7:MaxFrameBytes must be at least 1024.";
        }
        if (IdleTimeout <= TimeSpan.Zero)
        {
            yield return "Hl7:IdleTimeout must be positive.";
        }
        if (MaxConnections < 1 || MaxInboxBatch < 1 || ProcessingLanes < 1 || ProcessingLanesWhileReceiving < 1)
        {
            yield return "Hl7:MaxConnections, MaxInboxBatch, ProcessingLanes and ProcessingLanesWhileReceiving must be at least 1.";
        }
        if (ClaimLease < TimeSpan.FromSeconds(2))
        {
            yield return "Hl7:ClaimLease must be at least 2 seconds (claims are renewed about every second).";
        }
        if (TlsKey is not null && TlsCertificate is null)
        {
            yield return "Hl7:TlsKey needs Hl7:TlsCertificate.";
        }
        foreach (var (name, sender) in Senders)
        {
            if (string.IsNullOrWhiteSpace(sender.ClientId))
            {
                yield return $"Hl7:Senders:{name}:ClientId must name the integration client the sender acts as.";
            }
            if (sender.AppAckAddress is { } address && !Hl7AppAckSender.TryParseAddress(address, out _, out _))
            {
                yield return $"Hl7:Senders:{name}:AppAckAddress '{address}' is not host:port.";
            }
            foreach (var problem in AppAckTls.Problems(name, sender))
            {
                yield return problem;
            }
            if (sender.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
            {
                yield return $"Hl7:Senders:{name}:TimeZone '{zone}' is not a known time zone.";
            }
        }
    }
}

/// <summary>One sending system: the identity it acts as, where its data goes and how it is processed.</summary>
public sealed class Hl7SenderOptions
{
    /// <summary>The integration client this sender acts as (audit, and the token a sender must hold on the HTTP endpoint).</summary>
    public string ClientId { get; set; } = "hl7v2-unregistered";

    /// <summary>FHIR tenant its messages belong to.</summary>
    public string Tenant { get; set; } = "default";

    /// <summary>MSH-12 the sender must use (e.g. <c>2.5.1</c>); null accepts any. Others are rejected (AR 203).</summary>
    public string? ExpectedVersion { get; set; }

    /// <summary>The mapping set the v2→FHIR processor applies to this sender's messages.</summary>
    public string? MappingSet { get; set; }

    /// <summary>Time zone (IANA id such as <c>America/Chicago</c>) of the sender's times written
    /// without an offset (TS/DTM like <c>20240102030405</c>); null: UTC.</summary>
    public string? TimeZone { get; set; }

    /// <summary>Field whose value orders processing (e.g. <c>PID-3.1</c>): same key in order, different keys in parallel; null: ordered by sender.</summary>
    public string? OrderingKey { get; set; } = "PID-3.1";

    /// <summary>Where enhanced-mode application acknowledgments (MSH-16 AL/ER/SU) go: the MLLP
    /// <c>host:port</c> of the sender's receiving side. Null: requested ones are recorded as
    /// unroutable (visible, never sent).</summary>
    public string? AppAckAddress { get; set; }

    /// <summary>Application acknowledgments go over TLS (MLLP inside TLS, as the listener's <c>Hl7:TlsCertificate</c>).</summary>
    public bool AppAckTls { get; set; }

    /// <summary>The name the receiver's certificate must carry; null: the host of <see cref="AppAckAddress"/>.</summary>
    public string? AppAckTlsServerName { get; set; }

    /// <summary>PEM file of the CA (or CAs) trusted for this sender's receiver instead of the system's
    /// trust store (a hospital's private CA; revocation is not checked); null: the system's trust.</summary>
    public string? AppAckTlsCaCertificate { get; set; }
}
