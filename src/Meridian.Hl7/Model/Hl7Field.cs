namespace Meridian.Hl7;

/// <summary>
/// One field of a segment as written (escaped, lossless). Navigation is by position —
/// repetitions are 0-based (<see cref="Rep"/>), components and subcomponents 1-based as in the
/// HL7 specification — or by component name from the data-type tables when the field's data
/// type is known (<see cref="DataType"/>). <see cref="Value"/> is the decoded first leaf, the
/// way HL7 tools read "PID-8".
/// </summary>
public readonly struct Hl7Field
{
    private readonly Hl7Delimiters _delimiters;
    private readonly string? _raw;
    private readonly bool _literal;

    internal Hl7Field(string raw, Hl7Delimiters delimiters, string? dataType, bool literal = false)
    {
        _raw = raw;
        _delimiters = delimiters;
        DataType = dataType;
        _literal = literal;
    }

    /// <summary>The text as written (escape sequences not decoded); empty for a default value.</summary>
    public string Raw => _raw ?? "";

    /// <summary>The field's data type from the segment table for the message's version, or null (Z-segments, unknown fields).</summary>
    public string? DataType { get; }

    public bool IsEmpty => Raw.Length == 0;

    /// <summary>The HL7 explicit null <c>""</c>: the receiver should delete its value.</summary>
    public bool IsNull => Raw == "\"\"";

    public int RepetitionCount => _literal ? (Raw.Length == 0 ? 0 : 1) : Hl7Split.Count(Raw, _delimiters.Repetition);

    /// <summary>The repetition at <paramref name="index"/> (0-based); empty when absent.</summary>
    public Hl7Repetition Rep(int index) =>
        _literal ? new Hl7Repetition(index == 0 ? Raw : "", default, DataType)
                 : new Hl7Repetition(Hl7Split.Piece(Raw, _delimiters.Repetition, index), _delimiters, DataType);

    public IEnumerable<Hl7Repetition> Repetitions
    {
        get
        {
            if (_literal)
            {
                return Raw.Length == 0 ? [] : [Rep(0)];
            }
            var delimiters = _delimiters;
            var type = DataType;
            return Hl7Split.Pieces(Raw, delimiters.Repetition).Select(piece => new Hl7Repetition(piece, delimiters, type));
        }
    }

    /// <summary>Component <paramref name="position"/> (1-based) of the first repetition.</summary>
    public Hl7Component Component(int position) => Rep(0).Component(position);

    /// <summary>A component of the first repetition by its name in the data-type table (e.g. "family").</summary>
    public Hl7Component Component(string name) => Rep(0).Component(name);

    /// <summary>The decoded first leaf: first repetition, first component, first subcomponent.</summary>
    public string Value => Rep(0).Value;

    /// <summary>The whole field with escape sequences decoded (delimiters kept as written).</summary>
    public string Text => _literal ? Raw : Hl7Escape.Decode(Raw, _delimiters);

    /// <summary>The first leaf read as an HL7 TS/DTM/DT value; null when empty or malformed.</summary>
    public Hl7DateTime? AsDateTime() => Hl7DateTime.TryParse(Value, out var value) ? value : null;

    public override string ToString() => Raw;
}
