namespace Meridian.Hl7;

/// <summary>One component: subcomponents split on the subcomponent separator.</summary>
public readonly struct Hl7Component
{
    private readonly Hl7Delimiters _delimiters;
    private readonly string? _raw;

    internal Hl7Component(string raw, Hl7Delimiters delimiters, string? dataType)
    {
        _raw = raw;
        _delimiters = delimiters;
        DataType = dataType;
    }

    /// <summary>The text as written (escape sequences not decoded); empty for a default value.</summary>
    public string Raw => _raw ?? "";

    /// <summary>The component's data type from the table (e.g. FN for XPN.1), or null.</summary>
    public string? DataType { get; }

    public bool IsEmpty => Raw.Length == 0;

    public int SubcomponentCount => Hl7Split.Count(Raw, _delimiters.Subcomponent);

    /// <summary>Subcomponent <paramref name="position"/> (1-based), decoded; empty when absent.</summary>
    public Hl7Subcomponent Sub(int position) =>
        position < 1
            ? new Hl7Subcomponent("", _delimiters, null)
            : new Hl7Subcomponent(Hl7Split.Piece(Raw, _delimiters.Subcomponent, position - 1), _delimiters, Hl7Schema.Default.ComponentType(DataType, position));

    /// <summary>A subcomponent by name when the component is itself composite (e.g. FN "surname", HD "universalId").</summary>
    public Hl7Subcomponent Sub(string name) => Sub(Hl7Schema.Default.ComponentPosition(DataType, name));

    public IEnumerable<Hl7Subcomponent> Subcomponents
    {
        get
        {
            var delimiters = _delimiters;
            var type = DataType;
            return Hl7Split.Pieces(Raw, delimiters.Subcomponent)
                .Select((piece, i) => new Hl7Subcomponent(piece, delimiters, Hl7Schema.Default.ComponentType(type, i + 1)));
        }
    }

    /// <summary>The decoded first subcomponent.</summary>
    public string Value => Sub(1).Value;

    /// <summary>The whole component with escape sequences decoded.</summary>
    public string Text => Hl7Escape.Decode(Raw, _delimiters);

    public Hl7DateTime? AsDateTime() => Hl7DateTime.TryParse(Value, out var value) ? value : null;

    public override string ToString() => Raw;
}

/// <summary>A leaf of the message tree.</summary>
public readonly struct Hl7Subcomponent
{
    private readonly Hl7Delimiters _delimiters;
    private readonly string? _raw;

    internal Hl7Subcomponent(string raw, Hl7Delimiters delimiters, string? dataType)
    {
        _raw = raw;
        _delimiters = delimiters;
        DataType = dataType;
    }

    /// <summary>The text as written (escape sequences not decoded); empty for a default value.</summary>
    public string Raw => _raw ?? "";

    public string? DataType { get; }

    public bool IsEmpty => Raw.Length == 0;

    /// <summary>The text with escape sequences decoded.</summary>
    public string Value => Hl7Escape.Decode(Raw, _delimiters);

    public Hl7DateTime? AsDateTime() => Hl7DateTime.TryParse(Value, out var value) ? value : null;

    public override string ToString() => Raw;
}
