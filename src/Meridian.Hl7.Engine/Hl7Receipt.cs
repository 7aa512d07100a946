using Meridian.Hl7.Engine.Messages;

namespace Meridian.Hl7.Engine;

/// <summary>Where a payload came from: the transport, the peer, and (HTTP) the authenticated client.</summary>
public sealed record Hl7Origin(string Transport, string? Remote)
{
    /// <summary>The client a bearer token authenticated (HTTP endpoint); it must be the sender's
    /// configured client. Null on MLLP, whose peers are identified by configuration (and TLS).</summary>
    public string? AuthenticatedClientId { get; init; }

    public static Hl7Origin Mllp(string? remote) => new("mllp", remote);
}

/// <summary>What happened to one received payload.</summary>
public enum Hl7ReceiptKind
{
    /// <summary>Committed to the inbox (the ACK may say so).</summary>
    Stored,

    /// <summary>Already in the inbox under the same sender and MSH-10: acknowledged again, not stored or processed twice.</summary>
    Duplicate,

    /// <summary>Refused (unparseable, unknown sender, wrong version, oversize); kept in the error store.</summary>
    Rejected,

    /// <summary>The store could not commit it (or its audit record): nothing acknowledged, the sender must resend.</summary>
    Unavailable,
}

/// <summary>The outcome of receiving one payload and the acknowledgment to send back.</summary>
public sealed record Hl7Receipt(Hl7ReceiptKind Kind, Hl7Ack Ack, byte[] AckBytes)
{
    public long? InboxId { get; init; }
    public long? ErrorId { get; init; }
    public ReceivedHeader? Header { get; init; }
}
