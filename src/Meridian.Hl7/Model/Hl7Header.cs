using System.Collections.Immutable;

namespace Meridian.Hl7;

/// <summary>An HD (hierarchic designator): namespace id, universal id and its type, decoded.</summary>
public readonly record struct Hl7Hd(string NamespaceId, string UniversalId, string UniversalIdType)
{
    internal static Hl7Hd From(Hl7Field field)
    {
        var rep = field.Rep(0);
        return new Hl7Hd(rep.Component(1).Text, rep.Component(2).Text, rep.Component(3).Text);
    }

    public bool IsEmpty => NamespaceId.Length == 0 && UniversalId.Length == 0;

    public override string ToString() => UniversalId.Length == 0 ? NamespaceId : $"{NamespaceId}^{UniversalId}^{UniversalIdType}";
}

/// <summary>
/// The MSH segment read by name. Values are decoded; the segment itself (<see cref="Segment"/>)
/// keeps the raw text.
/// </summary>
public sealed class Hl7Header
{
    internal Hl7Header(Hl7Segment msh) => Segment = msh;

    public Hl7Segment Segment { get; }

    /// <summary>MSH-3.</summary>
    public Hl7Hd SendingApplication => Hl7Hd.From(Segment.Field(3));

    /// <summary>MSH-4.</summary>
    public Hl7Hd SendingFacility => Hl7Hd.From(Segment.Field(4));

    /// <summary>MSH-5.</summary>
    public Hl7Hd ReceivingApplication => Hl7Hd.From(Segment.Field(5));

    /// <summary>MSH-6.</summary>
    public Hl7Hd ReceivingFacility => Hl7Hd.From(Segment.Field(6));

    /// <summary>MSH-7, parsed; null when empty or malformed.</summary>
    public Hl7DateTime? DateTimeOfMessage => Segment.Field(7).AsDateTime();

    /// <summary>MSH-9.1, e.g. ADT.</summary>
    public string MessageType => Segment.Field(9).Component(1).Value;

    /// <summary>MSH-9.2, e.g. A01.</summary>
    public string TriggerEvent => Segment.Field(9).Component(2).Value;

    /// <summary>MSH-9.3, e.g. ADT_A01 (absent before v2.3.1).</summary>
    public string MessageStructure => Segment.Field(9).Component(3).Value;

    /// <summary>MSH-10, the sender's unique id for this message (duplicate detection keys on it per sender).</summary>
    public string ControlId => Segment.Field(10).Text;

    /// <summary>MSH-11.1: P (production), T (training), D (debugging).</summary>
    public string ProcessingId => Segment.Field(11).Value;

    /// <summary>MSH-12.1 as declared.</summary>
    public string Version => Segment.Field(12).Value;

    /// <summary>MSH-15: AL, NE, ER, SU, or empty (original acknowledgement mode).</summary>
    public string AcceptAckType => Segment.Field(15).Value;

    /// <summary>MSH-16: AL, NE, ER, SU, or empty.</summary>
    public string ApplicationAckType => Segment.Field(16).Value;

    /// <summary>MSH-17.</summary>
    public string CountryCode => Segment.Field(17).Value;

    /// <summary>MSH-18, every repetition (the first is the default character set).</summary>
    public ImmutableArray<string> CharacterSets => [.. Segment.Field(18).Repetitions.Select(r => r.Value).Where(v => v.Length > 0)];

    /// <summary>MSH-19.1.</summary>
    public string PrincipalLanguage => Segment.Field(19).Value;

    /// <summary>MSH-21, message profile identifiers (EI.1 of each repetition).</summary>
    public ImmutableArray<string> MessageProfiles => [.. Segment.Field(21).Repetitions.Select(r => r.Value).Where(v => v.Length > 0)];

    /// <summary>Which acknowledgements the sender asked for (MSH-15/16).</summary>
    public Hl7AckRequest AckRequest => Hl7AckRequest.From(this);
}
