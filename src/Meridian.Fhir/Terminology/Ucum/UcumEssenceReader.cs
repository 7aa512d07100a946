using System.Collections.Immutable;
using System.Xml;

namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// Streams ucum-essence.xml into prefixes and atoms. A forward-only reader rather than a DOM
/// because this runs on the first UCUM call of the process and start-up time is visible there.
/// </summary>
internal static class UcumEssenceReader
{
    public static (string Version, ImmutableArray<UcumPrefix> Prefixes, List<UcumAtom> Atoms) Read(Stream xml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true, IgnoreWhitespace = true };
        using var reader = XmlReader.Create(xml, settings);
        var version = "unknown";
        var prefixes = ImmutableArray.CreateBuilder<UcumPrefix>(24);
        var atoms = new List<UcumAtom>(320);
        Entry? entry = null;
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.EndElement && reader.Depth == 1 && entry is not null)
            {
                Finish(entry, prefixes, atoms);
                entry = null;
                continue;
            }
            if (reader.NodeType == XmlNodeType.Text && entry is { CapturingName: true })
            {
                entry.Name = reader.Value;
                entry.CapturingName = false;
                continue;
            }
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }
            switch (reader.Depth)
            {
                case 0:
                    version = reader.GetAttribute("version") ?? version;
                    break;
                case 1:
                    entry = new Entry(reader.LocalName, reader.GetAttribute("Code") ?? throw Bad(reader))
                    {
                        IsMetric = reader.GetAttribute("isMetric") == "yes",
                        IsSpecial = reader.GetAttribute("isSpecial") == "yes",
                        IsArbitrary = reader.GetAttribute("isArbitrary") == "yes",
                    };
                    if (reader.IsEmptyElement)
                    {
                        Finish(entry, prefixes, atoms);
                        entry = null;
                    }
                    break;
                default:
                    Collect(reader, entry);
                    break;
            }
        }
        return (version, prefixes.ToImmutable(), atoms);
    }

    private static void Collect(XmlReader reader, Entry? entry)
    {
        if (entry is null)
        {
            return;
        }
        switch (reader.LocalName)
        {
            case "name" when entry.Name is null && !reader.IsEmptyElement:
                // The text arrives as the next node; reading it here would consume the element
                // that follows and confuse the depth-based loop.
                entry.CapturingName = true;
                break;
            case "value":
                entry.Unit = reader.GetAttribute("Unit");
                entry.Value = reader.GetAttribute("value");
                break;
            case "function":
                entry.Function = reader.GetAttribute("name");
                entry.Unit = reader.GetAttribute("Unit");
                entry.Value = reader.GetAttribute("value");
                break;
        }
    }

    private static void Finish(Entry e, ImmutableArray<UcumPrefix>.Builder prefixes, List<UcumAtom> atoms)
    {
        switch (e.Kind)
        {
            case "prefix":
                if (!Rational.TryParse(e.Value, out var factor))
                {
                    throw new InvalidDataException($"UCUM prefix {e.Code} has no numeric value");
                }
                prefixes.Add(new UcumPrefix(e.Code, e.Name ?? e.Code, factor));
                break;
            case "base-unit":
                atoms.Add(new UcumAtom(e.Code, e.Name ?? e.Code, IsBase: true, IsMetric: true, IsSpecial: false,
                    IsArbitrary: false, DefinitionUnit: "1", DefinitionValue: "1", FunctionName: null));
                break;
            case "unit":
                atoms.Add(new UcumAtom(e.Code, e.Name ?? e.Code, IsBase: false, e.IsMetric, e.IsSpecial, e.IsArbitrary,
                    DefinitionUnit: e.Unit ?? throw new InvalidDataException($"UCUM unit {e.Code} has no definition"),
                    DefinitionValue: e.Value ?? "1",
                    FunctionName: e.IsSpecial ? e.Function : null));
                break;
        }
    }

    private static InvalidDataException Bad(XmlReader reader) =>
        new($"malformed UCUM essence element {reader.LocalName}");

    /// <summary>The fields of one top-level element while it is being read.</summary>
    private sealed class Entry(string kind, string code)
    {
        public string Kind { get; } = kind;

        public string Code { get; } = code;

        public bool IsMetric { get; init; }

        public bool IsSpecial { get; init; }

        public bool IsArbitrary { get; init; }

        public string? Name { get; set; }

        public string? Unit { get; set; }

        public string? Value { get; set; }

        public string? Function { get; set; }

        public bool CapturingName { get; set; }
    }
}
