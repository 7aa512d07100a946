using System.Collections.Frozen;
using System.Collections.Immutable;
using System.IO.Compression;
using System.Xml;
using System.Xml.Linq;

namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// The UCUM definitions (ucum-essence.xml) as immutable lookup tables: prefixes, atoms, and the
/// canonical meaning of every atom, computed once at load by evaluating each definition with the
/// same parser and evaluator that user units go through.
/// </summary>
internal sealed class UcumEssence
{
    private static readonly XNamespace s_ns = "http://unitsofmeasure.org/ucum-essence";

    private readonly FrozenDictionary<UcumAtom, UcumCanonicalForm> _meanings;

    private UcumEssence(string version, ImmutableArray<UcumPrefix> prefixes, FrozenDictionary<string, UcumAtom> atoms)
    {
        Version = version;
        Prefixes = prefixes;
        Atoms = atoms;
        Parser = new UcumParser(atoms, prefixes);
        _meanings = ComputeMeanings(atoms.Values, Parser);
    }

    public string Version { get; }

    public ImmutableArray<UcumPrefix> Prefixes { get; }

    public FrozenDictionary<string, UcumAtom> Atoms { get; }

    public UcumParser Parser { get; }

    public UcumCanonicalForm MeaningOf(UcumAtom atom) => _meanings[atom];

    /// <summary>Reads the gzip-compressed essence embedded in this assembly.</summary>
    public static UcumEssence LoadEmbedded()
    {
        using var stream = typeof(UcumEssence).Assembly.GetManifestResourceStream("ucum-essence.xml.gz")
            ?? throw new InvalidOperationException("Embedded resource ucum-essence.xml.gz is missing");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        return Load(gzip);
    }

    /// <summary>Reads an uncompressed ucum-essence.xml stream.</summary>
    public static UcumEssence Load(Stream xml)
    {
        using var reader = XmlReader.Create(xml, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        var root = XDocument.Load(reader).Root ?? throw new InvalidDataException("ucum-essence.xml has no root");
        var version = (string?)root.Attribute("version") ?? "unknown";

        var prefixes = ImmutableArray.CreateBuilder<UcumPrefix>();
        foreach (var p in root.Elements(s_ns + "prefix"))
        {
            var valueText = (string?)p.Element(s_ns + "value")?.Attribute("value") ?? throw Bad(p);
            prefixes.Add(new UcumPrefix(Code(p), Name(p), ParseNumber(valueText, p)));
        }

        var atoms = new Dictionary<string, UcumAtom>(StringComparer.Ordinal);
        foreach (var b in root.Elements(s_ns + "base-unit"))
        {
            atoms.Add(Code(b), new UcumAtom(Code(b), Name(b), IsBase: true, IsMetric: true, IsSpecial: false,
                IsArbitrary: false, DefinitionUnit: "1", DefinitionValue: Rational.One, FunctionName: null));
        }
        foreach (var u in root.Elements(s_ns + "unit"))
        {
            var value = u.Element(s_ns + "value") ?? throw Bad(u);
            var function = value.Element(s_ns + "function");
            var isSpecial = (string?)u.Attribute("isSpecial") == "yes";
            var (unitText, numberText) = function is not null
                ? ((string?)function.Attribute("Unit"), (string?)function.Attribute("value"))
                : ((string?)value.Attribute("Unit"), (string?)value.Attribute("value"));
            atoms.Add(Code(u), new UcumAtom(
                Code(u),
                Name(u),
                IsBase: false,
                IsMetric: (string?)u.Attribute("isMetric") == "yes",
                IsSpecial: isSpecial,
                IsArbitrary: (string?)u.Attribute("isArbitrary") == "yes",
                DefinitionUnit: unitText ?? throw Bad(u),
                DefinitionValue: ParseNumber(numberText ?? "1", u),
                FunctionName: isSpecial ? (string?)function?.Attribute("name") : null));
        }
        return new UcumEssence(version, prefixes.ToImmutable(), atoms.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static FrozenDictionary<UcumAtom, UcumCanonicalForm> ComputeMeanings(IEnumerable<UcumAtom> atoms, UcumParser parser)
    {
        var done = new Dictionary<UcumAtom, UcumCanonicalForm>(ReferenceEqualityComparer.Instance);
        var inProgress = new HashSet<UcumAtom>(ReferenceEqualityComparer.Instance);

        UcumCanonicalForm MeaningOf(UcumAtom atom)
        {
            if (done.TryGetValue(atom, out var known))
            {
                return known;
            }
            if (!inProgress.Add(atom))
            {
                throw new InvalidDataException($"UCUM definition of '{atom.Code}' is circular");
            }
            var meaning = Define(atom, parser, MeaningOf);
            inProgress.Remove(atom);
            done[atom] = meaning;
            return meaning;
        }

        foreach (var atom in atoms)
        {
            MeaningOf(atom);
        }
        return done.ToFrozenDictionary(ReferenceEqualityComparer.Instance);
    }

    private static UcumCanonicalForm Define(UcumAtom atom, UcumParser parser, Func<UcumAtom, UcumCanonicalForm> meaningOf)
    {
        if (atom.IsBase)
        {
            return UcumCanonicalForm.Create(Rational.One, Rational.Zero, [new(atom.Code, 1)]);
        }
        if (atom.IsArbitrary && atom.DefinitionUnit == "1")
        {
            // Arbitrary units are commensurable only with themselves: each is its own dimension.
            return UcumCanonicalForm.Create(atom.DefinitionValue, Rational.Zero, [new(atom.Code, 1)]);
        }
        var parsed = parser.Parse(atom.DefinitionUnit);
        if (parsed.Term is null)
        {
            throw new InvalidDataException($"UCUM definition of '{atom.Code}' ('{atom.DefinitionUnit}') does not parse: {parsed.Error}");
        }
        var unit = UcumCanonicalizer.Evaluate(parsed.Term, meaningOf);
        if (unit.Problem is not null)
        {
            return unit;
        }
        var pairs = unit.Dimensions.Select(d => new KeyValuePair<string, int>(d.Symbol, d.Exponent));
        var scale = atom.DefinitionValue * unit.Factor;
        if (atom.IsSpecial)
        {
            if (atom.FunctionName is not null && UcumSpecialFunctions.TryGetAffineOffset(atom.FunctionName, out var offset))
            {
                return UcumCanonicalForm.Create(scale, offset * scale, pairs);
            }
            return UcumCanonicalForm.NotConvertible(
                $"'{atom.Code}' is a special unit on a non-ratio scale (function '{atom.FunctionName}'); converting it is not supported");
        }
        return UcumCanonicalForm.Create(scale, Rational.Zero, pairs);
    }

    private static string Code(XElement e) => (string?)e.Attribute("Code") ?? throw Bad(e);

    private static string Name(XElement e) => (string?)e.Element(s_ns + "name") ?? string.Empty;

    private static Rational ParseNumber(string text, XElement where) =>
        Rational.TryParse(text, out var r) ? r : throw new InvalidDataException($"bad number '{text}' in {where.Name.LocalName} {(string?)where.Attribute("Code")}");

    private static InvalidDataException Bad(XElement e) =>
        new($"malformed UCUM essence element {e.Name.LocalName} {(string?)e.Attribute("Code")}");
}
