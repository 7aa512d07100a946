namespace Meridian.Hl7;

/// <summary>One repetition of a field: components split on the component separator.</summary>
public readonly struct Hl7Repetition
{
    private readonly Hl7Delimiters _delimiters;
    private readonly string? _raw;

    internal Hl7Repetition(string raw, Hl7Delimiters delimiters, string? dataType)
    {
        _raw = raw;
        _delimiters = delimiters;
        DataType = dataType;
    }

    /// <summary>The text as written (escape sequences not decoded); empty for a default value.</summary>
    public string Raw => _raw ?? "";

    public string? DataType { get; }

    public bool IsEmpty => Raw.Length == 0;

    public int ComponentCount => Hl7Split.Count(Raw, _delimiters.Component);

    /// <summary>Component <paramref name="position"/> (1-based); empty when absent.</summary>
    public Hl7Component Component(int position)
    {
        var type = Hl7Schema.Default.ComponentType(DataType, position);
        return position < 1
            ? new Hl7Component("", _delimiters, null)
            : new Hl7Component(Hl7Split.Piece(Raw, _delimiters.Component, position - 1), _delimiters, type);
    }

    /// <summary>A component by name from the data-type table (case-insensitive; aliases such as "family" allowed); empty when the name is unknown.</summary>
    public Hl7Component Component(string name) => Component(Hl7Schema.Default.ComponentPosition(DataType, name));

    public IEnumerable<Hl7Component> Components
    {
        get
        {
            var delimiters = _delimiters;
            var type = DataType;
            return Hl7Split.Pieces(Raw, delimiters.Component)
                .Select((piece, i) => new Hl7Component(piece, delimiters, Hl7Schema.Default.ComponentType(type, i + 1)));
        }
    }

    /// <summary>The decoded first leaf (first component, first subcomponent).</summary>
    public string Value => Component(1).Value;

    /// <summary>The repetition with escape sequences decoded.</summary>
    public string Text => Hl7Escape.Decode(Raw, _delimiters);

    public Hl7DateTime? AsDateTime() => Hl7DateTime.TryParse(Value, out var value) ? value : null;

    public override string ToString() => Raw;
}
