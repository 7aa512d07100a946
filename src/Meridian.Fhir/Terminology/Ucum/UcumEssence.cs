using System.Collections.Frozen;
using System.Collections.Immutable;
using System.IO.Compression;

namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// The UCUM definitions (ucum-essence.xml) as immutable lookup tables: prefixes, atoms, and the
/// canonical meaning of every atom, computed once on first use by evaluating its definition with
/// the same parser and evaluator that user units go through.
/// </summary>
internal sealed class UcumEssence
{
    // Each atom's meaning is computed on first use: a FHIR server meets a few dozen of the 312
    // atoms, and evaluating all definitions up front would double the start-up time.
    private readonly FrozenDictionary<string, Lazy<UcumCanonicalForm>> _meanings;

    private UcumEssence(string version, ImmutableArray<UcumPrefix> prefixes, FrozenDictionary<string, UcumAtom> atoms)
    {
        Version = version;
        Prefixes = prefixes;
        Atoms = atoms;
        Parser = new UcumParser(atoms, prefixes);
        _meanings = atoms.Values.ToFrozenDictionary(
            a => a.Code,
            a => new Lazy<UcumCanonicalForm>(() => Define(a, Parser, MeaningOf), LazyThreadSafetyMode.ExecutionAndPublication),
            StringComparer.Ordinal);
    }

    public string Version { get; }

    public ImmutableArray<UcumPrefix> Prefixes { get; }

    public FrozenDictionary<string, UcumAtom> Atoms { get; }

    public UcumParser Parser { get; }

    /// <summary>
    /// The canonical meaning of an atom. A circular definition would make the Lazy throw
    /// InvalidOperationException; the essence has none, and a test evaluates every atom.
    /// </summary>
    public UcumCanonicalForm MeaningOf(UcumAtom atom) => _meanings[atom.Code].Value;

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
        var (version, prefixes, atoms) = UcumEssenceReader.Read(xml);
        return new UcumEssence(version, prefixes, atoms.ToFrozenDictionary(a => a.Code, StringComparer.Ordinal));
    }

    private static UcumCanonicalForm Define(UcumAtom atom, UcumParser parser, Func<UcumAtom, UcumCanonicalForm> meaningOf)
    {
        if (atom.IsBase)
        {
            return UcumCanonicalForm.Create(Rational.One, Rational.Zero, [new(atom.Code, 1)]);
        }
        var value = ParseNumber(atom.DefinitionValue, atom.Code);
        if (atom.IsArbitrary && atom.DefinitionUnit == "1")
        {
            // Arbitrary units are commensurable only with themselves: each is its own dimension.
            return UcumCanonicalForm.Create(value, Rational.Zero, [new(atom.Code, 1)]);
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
        var scale = value * unit.Factor;
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

    private static Rational ParseNumber(string text, string code) =>
        Rational.TryParse(text, out var r) ? r : throw new InvalidDataException($"bad number '{text}' in the UCUM definition of {code}");
}
