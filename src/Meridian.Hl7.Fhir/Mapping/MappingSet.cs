using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Meridian.Hl7.Fhir.Mapping;

/// <summary>
/// A complete, immutable set of mappings: the built-in files (embedded, derived from the HL7
/// v2-to-FHIR IG) with any override folder laid over them block by block — a folder that holds
/// only <c>segment PID[Patient] Patient</c> changes that one map and inherits the rest. Lookups
/// are by name; the engine never knows a message type in code.
/// </summary>
public sealed class MappingSet
{
    private readonly FrozenDictionary<string, MessageMap> _messages;
    private readonly FrozenDictionary<string, ElementMap> _elements;
    private readonly FrozenDictionary<string, VocabularyMap> _vocabularies;
    private readonly FrozenDictionary<string, VariesEntry> _varies;
    private readonly FrozenDictionary<string, string> _codingSystems;

    private MappingSet(string name, IEnumerable<MappingFile> files)
    {
        Name = name;
        var messages = new Dictionary<string, MessageMap>(StringComparer.Ordinal);
        var elements = new Dictionary<string, ElementMap>(StringComparer.Ordinal);
        var vocabularies = new Dictionary<string, VocabularyMap>(StringComparer.Ordinal);
        var varies = new Dictionary<string, VariesEntry>(StringComparer.Ordinal);
        var systems = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var problems = ImmutableArray.CreateBuilder<string>();
        // Later files win block by block: that is how an override folder replaces one map.
        foreach (var file in files)
        {
            problems.AddRange(file.Problems);
            foreach (var m in file.Messages)
            {
                foreach (var key in m.Names)
                {
                    messages[key] = m;
                }
            }
            foreach (var e in file.Elements)
            {
                foreach (var key in e.Names)
                {
                    elements[key] = e;
                }
            }
            foreach (var v in file.Vocabularies)
            {
                vocabularies[v.Name] = v;
            }
            foreach (var v in file.Varies)
            {
                varies[v.V2Type] = v;
            }
            foreach (var (k, v) in file.CodingSystems)
            {
                systems[k] = v;
            }
        }
        _messages = messages.ToFrozenDictionary(StringComparer.Ordinal);
        _elements = elements.ToFrozenDictionary(StringComparer.Ordinal);
        _vocabularies = vocabularies.ToFrozenDictionary(StringComparer.Ordinal);
        _varies = varies.ToFrozenDictionary(StringComparer.Ordinal);
        _codingSystems = systems.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        problems.AddRange(CheckReferences());
        Problems = problems.ToImmutable();
    }

    /// <summary>The set's name (<c>default</c>, or the override folder's name).</summary>
    public string Name { get; }

    /// <summary>Everything wrong with the files (syntax, unknown map names); empty when the set is sound.</summary>
    public ImmutableArray<string> Problems { get; }

    public IEnumerable<string> MessageNames => _messages.Keys;

    /// <summary>The built-in mappings.</summary>
    public static MappingSet Default => s_default.Value;

    private static readonly Lazy<MappingSet> s_default = new(() => new MappingSet("default", EmbeddedFiles()));

    /// <summary>The built-in mappings with the <c>*.map</c> files of <paramref name="folder"/> laid over them.</summary>
    public static MappingSet LoadOverride(string folder, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var overrides = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*.map").Order(StringComparer.Ordinal).Select(f => MappingFileParser.Parse(File.ReadAllText(f), f)).ToList()
            : [new MappingFile([], [], [], [], [], [$"{folder}: the mapping folder does not exist"])];
        return new MappingSet(name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), EmbeddedFiles().Concat(overrides));
    }

    /// <summary>Builds a set from mapping texts (tests, tools); the built-ins first when <paramref name="overDefault"/>.</summary>
    public static MappingSet FromTexts(string name, IEnumerable<string> texts, bool overDefault = true) =>
        new(name, (overDefault ? EmbeddedFiles() : []).Concat(texts.Select((t, i) => MappingFileParser.Parse(t, $"{name}#{i}"))));

    internal static MappingSet Broken(string name, string problem) => new(name, [new MappingFile([], [], [], [], [], [problem])]);

    private static IEnumerable<MappingFile> EmbeddedFiles()
    {
        var assembly = typeof(MappingSet).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("hl7fhir/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return MappingFileParser.Parse(reader.ReadToEnd(), resource);
        }
    }

    /// <summary>The message map for a message: its event (<c>ADT^A04</c>) first, then its structure (MSH-9.3), then <c>TYPE_TRIGGER</c>.</summary>
    public MessageMap? FindMessage(string type, string trigger, string structure)
    {
        if (_messages.TryGetValue($"{type}^{trigger}", out var byEvent))
        {
            return byEvent;
        }
        if (structure.Length > 0 && _messages.TryGetValue(structure, out var byStructure))
        {
            return byStructure;
        }
        return _messages.GetValueOrDefault($"{type}_{trigger}");
    }

    public ElementMap? FindElement(string name) => _elements.GetValueOrDefault(name);

    public VocabularyMap? FindVocabulary(string name) => _vocabularies.GetValueOrDefault(name);

    public VariesEntry? FindVaries(string v2Type) => _varies.GetValueOrDefault(v2Type);

    /// <summary>The URI of a v2 coding system name (LN → http://loinc.org); null when unknown.</summary>
    public string? CodingSystemUri(string name) => _codingSystems.GetValueOrDefault(name);

    private IEnumerable<string> CheckReferences()
    {
        foreach (var m in _messages.Values.Distinct())
        {
            foreach (var b in m.Segments.Where(b => !_elements.ContainsKey(b.MapName)))
            {
                yield return $"{m.Origin}: message {m.Name} uses unknown map {b.MapName}";
            }
        }
        foreach (var e in _elements.Values.Distinct())
        {
            foreach (var r in e.Rules.Where(r => r.Kind is RuleKind.Field or RuleKind.Constant))
            {
                if (!Conversion.Primitives.IsPrimitive(r.Type) && r.Type != "varies" && !_elements.ContainsKey(r.Type))
                {
                    yield return $"{e.Origin}:{r.Line}: unknown type {r.Type}";
                }
                if (r.Vocabulary is { } v && !_vocabularies.ContainsKey(v))
                {
                    yield return $"{e.Origin}:{r.Line}: unknown vocabulary {v}";
                }
            }
        }
    }
}
