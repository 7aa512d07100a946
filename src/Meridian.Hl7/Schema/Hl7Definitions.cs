using System.Collections.Immutable;

namespace Meridian.Hl7;

/// <summary>One component of a data type: 1-based position, camelCase name, short aliases, its own data type.</summary>
public sealed record Hl7ComponentDefinition(int Position, string Name, ImmutableArray<string> Aliases, string DataType);

/// <summary>A composite or primitive HL7 data type (XPN, CX, CWE, DTM…) as listed in the tables.</summary>
public sealed record Hl7DataTypeDefinition(string Id, ImmutableArray<Hl7ComponentDefinition> Components)
{
    public bool IsComposite => Components.Length > 1;
}

/// <summary>One field of a segment: position, camelCase name, data type (as of v2.8), whether it repeats.</summary>
public sealed record Hl7FieldDefinition(int Position, string Name, ImmutableArray<string> Aliases, string DataType, bool Repeating);

/// <summary>A segment's fields by position, as listed in the tables.</summary>
public sealed class Hl7SegmentDefinition
{
    // Positions index an array: the typed view looks fields up on every access.
    private readonly Hl7FieldDefinition?[] _byPosition;

    public Hl7SegmentDefinition(string id, ImmutableDictionary<int, Hl7FieldDefinition> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        Id = id;
        Fields = fields;
        _byPosition = ByPosition(fields);
        CheckablePositions = [.. fields.Values.Where(f => f.DataType is "NM" or "SI" or "DT" or "DTM" or "TS").Select(f => f.Position).Order()];
    }

    public string Id { get; }

    public ImmutableDictionary<int, Hl7FieldDefinition> Fields { get; }

    public Hl7FieldDefinition? Field(int position) => position > 0 && position < _byPosition.Length ? _byPosition[position] : null;

    /// <summary>Positions whose values have a checkable primitive form (NM, SI, DT, DTM/TS), in order.</summary>
    internal ImmutableArray<int> CheckablePositions { get; }

    private static Hl7FieldDefinition?[] ByPosition(ImmutableDictionary<int, Hl7FieldDefinition> fields)
    {
        var array = new Hl7FieldDefinition?[(fields.IsEmpty ? 0 : fields.Keys.Max()) + 1];
        foreach (var (position, field) in fields)
        {
            array[position] = field;
        }
        return array;
    }
}
