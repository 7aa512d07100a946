using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;

namespace Meridian.Hl7;

/// <summary>
/// The data-type and segment tables behind the typed view — data, not a class per segment
/// (<c>Schema/Data/hl7-tables.txt</c>, generated from the v2-to-FHIR IG's v2.8 tables plus a
/// hand-written part). Version differences are rules applied on lookup: before v2.7 a DTM field
/// is a TS, before v2.6 a CWE field is a CE, before v2.3 the extended person/address/phone types
/// are their legacy forms (PN, AD, CN, TN, CK). Component names of the old and new forms agree
/// where their meaning does, so one name works across versions.
/// </summary>
public sealed class Hl7Schema
{
    private readonly FrozenDictionary<string, Hl7DataTypeDefinition> _types;
    private readonly FrozenDictionary<string, Hl7SegmentDefinition> _segments;
    private readonly FrozenDictionary<string, FrozenDictionary<string, int>> _componentNames;
    private readonly FrozenDictionary<string, FrozenDictionary<string, int>> _fieldNames;

    private Hl7Schema(IEnumerable<Hl7DataTypeDefinition> types, IEnumerable<Hl7SegmentDefinition> segments)
    {
        _types = types.ToFrozenDictionary(t => t.Id);
        _segments = segments.ToFrozenDictionary(s => s.Id);
        _componentNames = _types.ToFrozenDictionary(t => t.Key, t => Names(t.Value.Components.Select(c => (c.Position, c.Name, c.Aliases))));
        _fieldNames = _segments.ToFrozenDictionary(s => s.Key, s => Names(s.Value.Fields.Values.Select(f => (f.Position, f.Name, f.Aliases))));
    }

    private static FrozenDictionary<string, int> Names(IEnumerable<(int Position, string Name, ImmutableArray<string> Aliases)> items)
    {
        var map = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (position, name, aliases) in items)
        {
            map.TryAdd(name, position);
            foreach (var alias in aliases)
            {
                map.TryAdd(alias, position);
            }
        }
        return map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The built-in tables (immutable, loaded once).</summary>
    public static Hl7Schema Default => s_default.Value;

    private static readonly Lazy<Hl7Schema> s_default = new(() =>
    {
        using var stream = typeof(Hl7Schema).Assembly.GetManifestResourceStream("hl7-tables.txt")
            ?? throw new InvalidOperationException("hl7-tables.txt is not embedded");
        using var reader = new StreamReader(stream);
        return Load(reader);
    });

    /// <summary>Reads tables in the <c>hl7-tables.txt</c> format (<c>type ID name[|alias]:TYPE …</c>, <c>seg ID pos:name[|alias]:TYPE[*] …</c>).</summary>
    public static Hl7Schema Load(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var types = new List<Hl7DataTypeDefinition>();
        var segments = new List<Hl7SegmentDefinition>();
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || parts[0].StartsWith('#'))
            {
                continue;
            }
            if (parts[0] == "type")
            {
                var components = parts.Skip(2).Select((item, i) =>
                {
                    var (names, type) = SplitLast(item);
                    return new Hl7ComponentDefinition(i + 1, names[0], [.. names.Skip(1)], type);
                });
                types.Add(new Hl7DataTypeDefinition(parts[1], [.. components]));
            }
            else if (parts[0] == "seg")
            {
                var fields = parts.Skip(2).Select(item =>
                {
                    var colon = item.IndexOf(':', StringComparison.Ordinal);
                    var position = int.Parse(item[..colon], CultureInfo.InvariantCulture);
                    var (names, type) = SplitLast(item[(colon + 1)..]);
                    var repeating = type.EndsWith('*');
                    return new Hl7FieldDefinition(position, names[0], [.. names.Skip(1)], type.TrimEnd('*'), repeating);
                });
                segments.Add(new Hl7SegmentDefinition(parts[1], fields.ToImmutableDictionary(f => f.Position)));
            }
        }
        return new Hl7Schema(types, segments);
    }

    private static (string[] Names, string Type) SplitLast(string item)
    {
        var colon = item.LastIndexOf(':');
        return (item[..colon].Split('|'), item[(colon + 1)..]);
    }

    public IEnumerable<Hl7DataTypeDefinition> DataTypes => _types.Values;

    public IEnumerable<Hl7SegmentDefinition> SegmentDefinitions => _segments.Values;

    public Hl7DataTypeDefinition? DataType(string id) => _types.GetValueOrDefault(id);

    public Hl7SegmentDefinition? Segment(string id) => _segments.GetValueOrDefault(id);

    /// <summary>The data type of a segment's field in a version (see the class remarks), or null when the tables do not know it.</summary>
    public string? FieldType(string segmentId, int position, string version)
    {
        if (_segments.GetValueOrDefault(segmentId)?.Field(position) is not { } field)
        {
            return null;
        }
        var minor = Hl7Versions.Minor(version);
        return field.DataType switch
        {
            "DTM" when minor < 7 => "TS",
            "CWE" when minor < 6 => "CE",
            "XPN" when minor < 3 => "PN",
            "XAD" when minor < 3 => "AD",
            "XCN" when minor < 3 => "CN",
            "XTN" when minor < 3 => "TN",
            "CX" when minor < 3 => "CK",
            var type => type,
        };
    }

    /// <summary>The data type of component <paramref name="position"/> of <paramref name="dataType"/>, or null.</summary>
    public string? ComponentType(string? dataType, int position)
    {
        if (dataType is null || !_types.TryGetValue(dataType, out var type) || position < 1 || position > type.Components.Length)
        {
            return null;
        }
        return type.Components[position - 1].DataType;
    }

    /// <summary>A component's 1-based position from its name, alias or number; 0 when unknown.</summary>
    public int ComponentPosition(string? dataType, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            return position;
        }
        return dataType is not null && _componentNames.TryGetValue(dataType, out var names) ? names.GetValueOrDefault(name) : 0;
    }

    /// <summary>A field's 1-based position from its name, alias, number or "SEG-n"; 0 when unknown.</summary>
    public int FieldPosition(string segmentId, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = name.StartsWith(segmentId + "-", StringComparison.Ordinal) ? name[(segmentId.Length + 1)..] : name;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            return position;
        }
        return _fieldNames.TryGetValue(segmentId, out var names) ? names.GetValueOrDefault(name) : 0;
    }
}
