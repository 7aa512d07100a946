using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Messages;

namespace Meridian.Hl7.Engine;

/// <summary>
/// Receipt of one payload, whatever the transport (MLLP, HTTP, replay): read the header, find the
/// sender's configuration, commit the message to the inbox (group commit), audit it, and only
/// then produce the positive acknowledgment. Anything refused is kept raw in the error store and
/// answered with a negative acknowledgment that says why. Acknowledgment codes (docs/hl7v2-engine.md):
/// original mode AA on durable receipt, AE for content errors (no MSH, MSH-9/MSH-10 missing),
/// AR for refusals (unknown sender, unsupported version, oversize) and when the store is down;
/// enhanced mode CA / CR / CE for the same three cases.
/// </summary>
public sealed partial class Hl7Receiver
{
    public const string DefaultTenant = "default";

    private readonly IHl7MessageCodec _codec;
    private readonly InboxWriter _writer;
    private readonly IHl7Inbox _inbox;
    private readonly Hl7EngineOptions _options;
    private readonly IHl7AuditSink _audit;
    private readonly TimeProvider _clock;

    /// <summary>Raised after a message is newly stored (wakes the dispatcher).</summary>
    public event Action? Stored;

    public Hl7Receiver(IHl7MessageCodec codec, InboxWriter writer, IHl7Inbox inbox, Hl7EngineOptions options, IHl7AuditSink audit, TimeProvider? clock = null,
        Processing.ReceiptPressure? pressure = null)
    {
        Pressure = pressure ?? new Processing.ReceiptPressure();
        _codec = codec ?? throw new ArgumentNullException(nameof(codec));
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _inbox = inbox ?? throw new ArgumentNullException(nameof(inbox));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _audit = audit ?? throw new ArgumentNullException(nameof(audit));
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Receipts under way (the dispatcher runs fewer mapping lanes while there are any).</summary>
    public Processing.ReceiptPressure Pressure { get; }

    public async Task<Hl7Receipt> ReceiveAsync(ReadOnlyMemory<byte> raw, Hl7Origin origin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(origin);
        using var receiving = Pressure.Begin();
        return await ReceiveOneAsync(raw, origin, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Hl7Receipt> ReceiveOneAsync(ReadOnlyMemory<byte> raw, Hl7Origin origin, CancellationToken cancellationToken)
    {
        if (_codec.ReadBatch(raw) is { } batch)
        {
            return await ReceiveBatchAsync(raw, batch, origin, cancellationToken).ConfigureAwait(false);
        }
        var reading = _codec.Read(raw);
        var header = reading.Header;
        if (!reading.IsReadable)
        {
            return await RejectAsync(raw, reading, null, origin, reading.Error ?? "unreadable message", content: true, header is null ? Hl7ErrorCodes.SegmentSequence : Hl7ErrorCodes.RequiredFieldMissing, cancellationToken).ConfigureAwait(false);
        }
        var sender = _options.SenderFor(header!.SendingApplication, header.SendingFacility);
        if (sender is null)
        {
            return await RejectAsync(raw, reading, null, origin, $"unknown sender '{header.Sender}'", content: false, Hl7ErrorCodes.UnknownKeyIdentifier, cancellationToken).ConfigureAwait(false);
        }
        if (origin.AuthenticatedClientId is { } client && !string.Equals(client, sender.ClientId, StringComparison.Ordinal))
        {
            return await RejectAsync(raw, reading, sender, origin, $"client '{client}' may not send as '{header.Sender}' (configured client '{sender.ClientId}')", content: false, Hl7ErrorCodes.ApplicationInternalError, cancellationToken).ConfigureAwait(false);
        }
        if (sender.ExpectedVersion is { Length: > 0 } expected && !string.Equals(expected, header.Version, StringComparison.Ordinal))
        {
            return await RejectAsync(raw, reading, sender, origin, $"version '{header.Version}' is not the configured '{expected}'", content: false, Hl7ErrorCodes.UnsupportedVersionId, cancellationToken).ConfigureAwait(false);
        }
        var orderingKey = sender.OrderingKey is { Length: > 0 } path ? _codec.Value(reading, path) : null;
        // The AuditEvent commits with the inbox row (one transaction, ADR 0023 as amended): the
        // ACK below is sent only after that single commit.
        var entry = new InboxEntry(sender.Tenant, header.Sender, header.ControlId, header.MessageType, header.Version,
            string.IsNullOrEmpty(orderingKey) ? null : orderingKey, sender.MappingSet, sender.ClientId, origin.Remote, _clock.GetUtcNow(), raw.ToArray())
        {
            Audit = new Hl7AuditFact(sender.Tenant, sender.ClientId, origin, header.Sender, header.MessageType, header.ControlId, true, null),
            AppAckMode = AppAckModeOf(header),
        };
        InboxAppend appended;
        try
        {
            appended = await _writer.AppendAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Unavailable(reading, "the message could not be stored; resend it later");
        }
        if (!appended.Duplicate)
        {
            Stored?.Invoke();
        }
        var ack = new Hl7Ack(header.IsEnhancedMode ? Hl7AckCode.CA : Hl7AckCode.AA);
        return new Hl7Receipt(appended.Duplicate ? Hl7ReceiptKind.Duplicate : Hl7ReceiptKind.Stored, ack, _codec.Acknowledge(reading, ack))
        {
            InboxId = appended.Id,
            Header = header,
        };
    }

    /// <summary>A frame over the size limit: rejected, its head kept in the error store.</summary>
    public Task<Hl7Receipt> RejectOversizeAsync(byte[] head, long size, Hl7Origin origin, CancellationToken cancellationToken = default)
    {
        var reading = _codec.Read(head);
        var sender = reading.Header is { } header ? _options.SenderFor(header.SendingApplication, header.SendingFacility) : null;
        return RejectAsync(head, reading, sender, origin, $"frame of {size} bytes exceeds the limit of {_options.MaxFrameBytes} bytes (first {head.Length} bytes kept)", content: false, Hl7ErrorCodes.ApplicationInternalError, cancellationToken);
    }

    private async Task<Hl7Receipt> RejectAsync(ReadOnlyMemory<byte> raw, Hl7Reading reading, Hl7SenderOptions? sender, Hl7Origin origin, string reason, bool content, string errorCode, CancellationToken ct)
    {
        var header = reading.Header;
        var tenant = sender?.Tenant ?? DefaultTenant;
        var clientId = sender?.ClientId ?? origin.AuthenticatedClientId ?? "hl7v2-unknown-sender";
        long errorId;
        try
        {
            errorId = await _inbox.RecordRejectedAsync(new RejectedMessage(tenant, header?.Sender, NullIfEmpty(header?.ControlId), NullIfEmpty(header?.MessageType),
                origin.Remote, reason, _clock.GetUtcNow(), raw.ToArray()), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Unavailable(reading, "the message was refused (" + reason + ") but could not be kept; resend it later");
        }
        var fact = new Hl7AuditFact(tenant, clientId, origin, header?.Sender, NullIfEmpty(header?.MessageType), NullIfEmpty(header?.ControlId), false, reason);
        if (!await _audit.RecordAsync(fact, ct).ConfigureAwait(false))
        {
            return Unavailable(reading, "the message could not be audited; resend it later");
        }
        var enhanced = header?.IsEnhancedMode ?? false;
        var code = enhanced ? Hl7AckCode.CR : content ? Hl7AckCode.AE : Hl7AckCode.AR;
        var ack = new Hl7Ack(code, $"{reason} (error store id {errorId})", errorCode);
        return new Hl7Receipt(Hl7ReceiptKind.Rejected, ack, _codec.Acknowledge(reading, ack)) { ErrorId = errorId, Header = header };
    }

    private Hl7Receipt Unavailable(Hl7Reading reading, string reason)
    {
        var ack = new Hl7Ack(reading.Header?.IsEnhancedMode == true ? Hl7AckCode.CE : Hl7AckCode.AR, reason, Hl7ErrorCodes.ApplicationInternalError);
        return new Hl7Receipt(Hl7ReceiptKind.Unavailable, ack, _codec.Acknowledge(reading, ack)) { Header = reading.Header };
    }

    /// <summary>MSH-16 when it asks for an application acknowledgment that may have to be sent
    /// (AL always, ER on failure, SU on success); NE or empty: none.</summary>
    internal static string? AppAckModeOf(ReceivedHeader header) =>
        header.ApplicationAckType.ToUpperInvariant() switch
        {
            "AL" => "AL",
            "ER" => "ER",
            "SU" => "SU",
            _ => null,
        };

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
