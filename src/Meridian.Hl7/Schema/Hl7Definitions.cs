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
public sealed record Hl7SegmentDefinition(string Id, ImmutableDictionary<int, Hl7FieldDefinition> Fields)
{
    public Hl7FieldDefinition? Field(int position) => Fields.GetValueOrDefault(position);
}
