namespace Meridian.Hl7.Engine.Messages;

/// <summary>
/// What the engine needs from a message's MSH segment: who sent it (MSH-3/4), to whom
/// (MSH-5/6), what it is (MSH-9), its control id (MSH-10), processing id (MSH-11), version
/// (MSH-12) and the acknowledgment it asks for (MSH-15 accept, MSH-16 application). Values are
/// the unescaped text of the first component unless noted.
/// </summary>
public sealed record ReceivedHeader
{
    public string SendingApplication { get; init; } = "";
    public string SendingFacility { get; init; } = "";
    public string ReceivingApplication { get; init; } = "";
    public string ReceivingFacility { get; init; } = "";

    /// <summary>MSH-9 as <c>type^event</c> (e.g. <c>ORU^R01</c>).</summary>
    public string MessageType { get; init; } = "";
    public string ControlId { get; init; } = "";
    public string ProcessingId { get; init; } = "";
    public string Version { get; init; } = "";

    /// <summary>MSH-15 (AL, NE, ER, SU) or empty.</summary>
    public string AcceptAckType { get; init; } = "";

    /// <summary>MSH-16 (AL, NE, ER, SU) or empty.</summary>
    public string ApplicationAckType { get; init; } = "";

    /// <summary>The sender's identity for configuration and duplicate detection: <c>MSH-3|MSH-4</c>.</summary>
    public string Sender => SendingApplication + "|" + SendingFacility;

    /// <summary>Enhanced acknowledgment mode: the sender filled MSH-15 or MSH-16 (v2.x, 2.9.1);
    /// otherwise original mode.</summary>
    public bool IsEnhancedMode => AcceptAckType.Length > 0 || ApplicationAckType.Length > 0;
}
