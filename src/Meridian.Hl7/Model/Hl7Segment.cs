using System.Collections.Immutable;

namespace Meridian.Hl7;

/// <summary>
/// One segment, immutable and lossless: its text exactly as received (<see cref="Raw"/>) and the
/// separator that followed it (<see cref="Terminator"/>), so writing it back reproduces the
/// input. Fields are 1-based as in the specification; in MSH, FHS and BHS field 1 is the field
/// separator itself and field 2 the encoding characters.
/// </summary>
public sealed class Hl7Segment
{
    private readonly int[] _starts;

    internal Hl7Segment(string raw, string terminator, Hl7Delimiters delimiters, string version)
    {
        Raw = raw;
        Terminator = terminator;
        Delimiters = delimiters;
        Version = version;
        var count = Hl7Split.Count(raw, delimiters.Field);
        _starts = new int[Math.Max(count, 1)];
        var next = 0;
        for (var i = 1; i < count; i++)
        {
            next = raw.IndexOf(delimiters.Field, next) + 1;
            _starts[i] = next;
        }
        Id = count == 0 ? "" : Intern(raw, _starts.Length > 1 ? _starts[1] - 1 : raw.Length);
        IsHeader = Id is "MSH" or "FHS" or "BHS";
    }

    /// <summary>Builds a segment from its id and escaped field values (field 1 onwards; for MSH, field 3 onwards — MSH-1/2 come from the delimiters).</summary>
    public static Hl7Segment Create(string id, Hl7Delimiters delimiters, IEnumerable<string?> fields, string version = Hl7Versions.Default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var sep = delimiters.Field.ToString();
        var head = id is "MSH" or "FHS" or "BHS" ? id + sep + delimiters.EncodingCharacters : id;
        var list = fields.Select(f => f ?? "").ToList();
        while (list.Count > 0 && list[^1].Length == 0)
        {
            list.RemoveAt(list.Count - 1);
        }
        var raw = list.Count == 0 ? head : head + sep + string.Join(sep, list);
        return new Hl7Segment(raw, "\r", delimiters, version);
    }

    /// <summary>The three-character segment id (as written; may be malformed, see the parse warnings).</summary>
    public string Id { get; }

    /// <summary>The segment text without its terminator, escape sequences untouched.</summary>
    public string Raw { get; }

    /// <summary>What followed the segment in the input: "\r" normally, "\n" or "\r\n" from sloppy senders, "" at the end.</summary>
    public string Terminator { get; }

    public Hl7Delimiters Delimiters { get; }

    /// <summary>The HL7 version the typed view uses for this segment (the message's MSH-12, or the default).</summary>
    public string Version { get; }

    public bool IsHeader { get; }

    /// <summary>The number of fields present (the last one may be empty when the segment ends with a separator).</summary>
    public int FieldCount => IsHeader ? _starts.Length : _starts.Length - 1;

    /// <summary>Field <paramref name="position"/> (1-based); an empty field when absent.</summary>
    public Hl7Field Field(int position)
    {
        var type = Id == "OBX" && position == 5 && Hl7Split.Piece(Part(2), Delimiters.Component, 0) is { Length: > 0 } valueType
            ? valueType // OBX-5 "varies": its data type is whatever OBX-2 says.
            : Hl7Schema.Default.FieldType(Id, position, Version);
        if (IsHeader)
        {
            return position switch
            {
                < 1 => default,
                1 => new Hl7Field(Delimiters.Field.ToString(), Delimiters, type, literal: true),
                2 => new Hl7Field(Part(1), Delimiters, type, literal: true),
                _ => new Hl7Field(Part(position - 1), Delimiters, type),
            };
        }
        return position < 1 ? default : new Hl7Field(Part(position), Delimiters, type);
    }

    /// <summary>A field by its name in the segment table (e.g. "patientName" or "PID-5"); empty when unknown.</summary>
    public Hl7Field Field(string name) => Field(Hl7Schema.Default.FieldPosition(Id, name));

    /// <summary>Every field in order (each is found by offset, so this is linear).</summary>
    public IEnumerable<Hl7Field> Fields
    {
        get
        {
            for (var i = 1; i <= FieldCount; i++)
            {
                yield return Field(i);
            }
        }
    }

    /// <summary>A copy with one field replaced by <paramref name="raw"/> (already escaped); missing fields in between are added empty.</summary>
    public Hl7Segment WithField(int position, string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var first = IsHeader ? 3 : 1;
        if (position < first)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, IsHeader ? "MSH-1 and MSH-2 come from the delimiters" : "fields are 1-based");
        }
        var fields = new List<string>();
        for (var i = first; i <= Math.Max(FieldCount, position); i++)
        {
            fields.Add(i == position ? raw : Field(i).Raw);
        }
        var rebuilt = Create(Id, Delimiters, fields, Version);
        return new Hl7Segment(rebuilt.Raw, Terminator, Delimiters, Version);
    }

    /// <summary>A copy with a different terminator (used when normalising separators).</summary>
    public Hl7Segment WithTerminator(string terminator) => new(Raw, terminator, Delimiters, Version);

    internal Hl7Segment WithVersion(string version) => version == Version ? this : new(Raw, Terminator, Delimiters, version);

    /// <summary>The raw values of every field, 1-based positions mapped to index + 1.</summary>
    public ImmutableArray<string> RawFields => [.. Fields.Select(f => f.Raw)];

    private static readonly System.Collections.Frozen.FrozenSet<string> s_knownIds = System.Collections.Frozen.FrozenSet.Create(StringComparer.Ordinal,
        "MSH", "MSA", "ERR", "EVN", "PID", "PD1", "NK1", "PV1", "PV2", "IN1", "IN2", "IN3", "GT1", "AL1", "DG1", "PR1", "ORC", "OBR", "OBX",
        "NTE", "SPM", "TQ1", "TQ2", "RXA", "RXE", "RXO", "RXR", "RXC", "SCH", "AIS", "AIG", "AIL", "AIP", "RGS", "TXA", "MRG", "PRT", "ROL",
        "SFT", "FHS", "BHS", "BTS", "FTS", "QRD", "QPD", "RCP", "QAK", "UAC", "ARV", "CTI", "FT1", "ACC", "UB1", "UB2", "DSC");

    private static readonly System.Collections.Frozen.FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> s_idLookup =
        s_knownIds.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The segment id without allocating for the common ones (every parsed segment asks).</summary>
    private static string Intern(string raw, int length)
    {
        if (length == raw.Length)
        {
            return raw;
        }
        return s_idLookup.TryGetValue(raw.AsSpan(0, length), out var known) ? known : raw[..length];
    }

    /// <summary>Field <paramref name="position"/> as a span of <see cref="Raw"/> (no allocation), for checks that run on every parse.</summary>
    internal ReadOnlySpan<char> FieldSpan(int position)
    {
        var index = IsHeader ? position - 1 : position;
        if (position < 1 || index < 1 || index >= _starts.Length)
        {
            return [];
        }
        var start = _starts[index];
        var end = index + 1 < _starts.Length ? _starts[index + 1] - 1 : Raw.Length;
        return Raw.AsSpan(start, end - start);
    }

    private string Part(int index)
    {
        if (index >= _starts.Length)
        {
            return "";
        }
        var start = _starts[index];
        var end = index + 1 < _starts.Length ? _starts[index + 1] - 1 : Raw.Length;
        return index == 0 && end == Raw.Length ? Raw : Raw[start..end];
    }

    public override string ToString() => Raw;
}
