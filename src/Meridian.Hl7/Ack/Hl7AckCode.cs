namespace Meridian.Hl7;

/// <summary>MSA-1 (HL7 table 0008).</summary>
public enum Hl7AckCode
{
    /// <summary>Application accept (original mode, or the application ack in enhanced mode).</summary>
    AA,

    /// <summary>Application error: the message was understood but could not be processed; resending will not help.</summary>
    AE,

    /// <summary>Application reject: the message was refused (bad header, unsupported type/version, system down).</summary>
    AR,

    /// <summary>Commit accept (enhanced mode): the message is safely stored.</summary>
    CA,

    /// <summary>Commit error (enhanced mode).</summary>
    CE,

    /// <summary>Commit reject (enhanced mode).</summary>
    CR,
}

/// <summary>MSH-15/MSH-16 values (HL7 table 0155): when the sender wants that acknowledgement.</summary>
public enum Hl7AckCondition
{
    /// <summary>AL: always.</summary>
    Always,

    /// <summary>NE: never.</summary>
    Never,

    /// <summary>ER: only on error or reject.</summary>
    ErrorOnly,

    /// <summary>SU: only on success.</summary>
    SuccessOnly,
}

/// <summary>ERR-4 (HL7 table 0516).</summary>
public enum Hl7ErrorSeverity
{
    Error,
    Warning,
    Information,
}

/// <summary>HL7 table 0357 (message error condition codes) — the ones a receiver needs.</summary>
public static class Hl7ErrorCodes
{
    public const string Accepted = "0";
    public const string SegmentSequence = "100";
    public const string RequiredFieldMissing = "101";
    public const string DataTypeError = "102";
    public const string TableValueNotFound = "103";
    public const string ValueTooLong = "104";
    public const string UnsupportedMessageType = "200";
    public const string UnsupportedEventCode = "201";
    public const string UnsupportedProcessingId = "202";
    public const string UnsupportedVersionId = "203";
    public const string UnknownKeyIdentifier = "204";
    public const string DuplicateKeyIdentifier = "205";
    public const string ApplicationRecordLocked = "206";
    public const string ApplicationInternalError = "207";

    /// <summary>The table's display text for a code (used as ERR-3.2).</summary>
    public static string Text(string code) => code switch
    {
        Accepted => "Message accepted",
        SegmentSequence => "Segment sequence error",
        RequiredFieldMissing => "Required field missing",
        DataTypeError => "Data type error",
        TableValueNotFound => "Table value not found",
        ValueTooLong => "Value too long",
        UnsupportedMessageType => "Unsupported message type",
        UnsupportedEventCode => "Unsupported event code",
        UnsupportedProcessingId => "Unsupported processing id",
        UnsupportedVersionId => "Unsupported version id",
        UnknownKeyIdentifier => "Unknown key identifier",
        DuplicateKeyIdentifier => "Duplicate key identifier",
        ApplicationRecordLocked => "Application record locked",
        ApplicationInternalError => "Application internal error",
        _ => "",
    };
}
