namespace Meridian.Hl7;

/// <summary>
/// Which acknowledgements a sender asked for. Both MSH-15 and MSH-16 empty means original mode:
/// one application acknowledgement (AA/AE/AR) per message. Either one valued means enhanced
/// mode: an accept acknowledgement (CA/CE/CR, "I have it safely") per MSH-15 and a separate
/// application acknowledgement per MSH-16; an empty or unknown value there counts as AL.
/// </summary>
public sealed record Hl7AckRequest(Hl7AckCondition? Accept, Hl7AckCondition? Application)
{
    public static Hl7AckRequest Original { get; } = new(null, null);

    public static Hl7AckRequest From(Hl7Header header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return From(header.AcceptAckType, header.ApplicationAckType);
    }

    public static Hl7AckRequest From(string msh15, string msh16)
    {
        var accept = Parse(msh15);
        var application = Parse(msh16);
        if (accept is null && application is null)
        {
            return Original;
        }
        return new Hl7AckRequest(accept ?? Hl7AckCondition.Always, application ?? Hl7AckCondition.Always);
    }

    private static Hl7AckCondition? Parse(string? value) => (value ?? "").Trim().ToUpperInvariant() switch
    {
        "" => null,
        "NE" => Hl7AckCondition.Never,
        "ER" => Hl7AckCondition.ErrorOnly,
        "SU" => Hl7AckCondition.SuccessOnly,
        _ => Hl7AckCondition.Always,
    };

    public bool IsEnhanced => Accept is not null || Application is not null;

    /// <summary>Whether to send a commit acknowledgement (CA when <paramref name="accepted"/>, else CE/CR). Never in original mode.</summary>
    public bool WantsAcceptAck(bool accepted) => IsEnhanced && Wants(Accept!.Value, accepted);

    /// <summary>Whether to send an application acknowledgement (AA when <paramref name="succeeded"/>, else AE/AR). Always in original mode.</summary>
    public bool WantsApplicationAck(bool succeeded) => !IsEnhanced || Wants(Application!.Value, succeeded);

    private static bool Wants(Hl7AckCondition condition, bool success) => condition switch
    {
        Hl7AckCondition.Always => true,
        Hl7AckCondition.Never => false,
        Hl7AckCondition.ErrorOnly => !success,
        _ => success,
    };
}
