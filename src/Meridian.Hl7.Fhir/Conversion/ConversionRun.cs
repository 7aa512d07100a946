using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Meridian.Hl7.Fhir.Mapping;

namespace Meridian.Hl7.Fhir.Conversion;

/// <summary>One resource the message makes: where it came from, its JSON, and (after assembly) how it is written.</summary>
internal sealed class Entry(string uuid, string type, ElementMap map, int segmentIndex, V2Value? value, int ordinal)
{
    public string Uuid { get; set; } = uuid;
    public string Type { get; } = type;
    public ElementMap Map { get; } = map;
    public int SegmentIndex { get; } = segmentIndex;

    /// <summary>For resources made by a data type map (a Practitioner from an XCN): that value.</summary>
    public V2Value? Value { get; } = value;

    public int Ordinal { get; } = ordinal;
    public string? Alias { get; init; }
    public JsonObject Resource { get; } = new() { ["resourceType"] = type };
    public string? Method { get; set; }
    public string? Url { get; set; }
    public bool Computing { get; set; }
}

/// <summary>
/// The state of one conversion: walks the message's segments in order, makes the resources its
/// message map asks for, and applies every rule. Aliases resolve to the nearest resource of that
/// alias before the segment (the OBR of an OBX), else the first after it (the PID after SIU's SCH).
/// </summary>
internal sealed partial class ConversionRun(MappingSet set, Hl7Message message, Hl7ConversionOptions options, string messageType)
{
    private static readonly ConcurrentDictionary<string, SourcePath?> s_paths = new(StringComparer.Ordinal);
    private readonly List<(string Alias, Entry Entry)> _aliases = [];
    private int _ordinal;

    public MappingSet Set { get; } = set;
    public Hl7Message Message { get; } = message;
    public Hl7ConversionOptions Options { get; } = options;
    public string MessageType { get; } = messageType;
    public List<Entry> Entries { get; } = [];
    public List<string> Notes { get; } = [];

    private string? _sender;

    /// <summary>Computed once: it seeds every entry's deterministic id and the Provenance.</summary>
    public string Sender => _sender ??= Options.Sender ?? $"{Message.Header.SendingApplication.NamespaceId}^{Message.Header.SendingFacility.NamespaceId}";

    /// <summary>A v2 source path parsed once per process (rule sources and key parts come from the mapping files).</summary>
    public static SourcePath? PathOf(string text) => s_paths.GetOrAdd(text, SourcePath.Parse);

    public string ControlId => Message.Header.ControlId;

    public void Map(MessageMap map)
    {
        var work = new List<(SegmentBinding Binding, int Index, Entry? Entry)>();
        var segments = Message.Segments;
        var unmapped = new SortedSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < segments.Length; i++)
        {
            var bindings = map.Segments.Where(b => b.SegmentId == segments[i].Id).ToList();
            if (bindings.Count == 0 && segments[i].Id != "MSH")
            {
                unmapped.Add(segments[i].Id);
            }
            foreach (var binding in bindings)
            {
                var element = Set.FindElement(binding.MapName)!;
                if (binding.Into is not null)
                {
                    work.Add((binding, i, null));
                    continue;
                }
                var entry = NewEntry(element, i, null, binding.Alias);
                if (binding.Alias is not null)
                {
                    _aliases.Add((binding.Alias, entry));
                }
                work.Add((binding, i, entry));
            }
        }
        foreach (var (binding, index, entry) in work)
        {
            var element = Set.FindElement(binding.MapName)!;
            if (entry is null && !IsNearestInto(work, binding, index))
            {
                continue;
            }
            var target = entry ?? FindAlias(binding.Into!, index);
            if (target is null)
            {
                Notes.Add($"{segments[index].Id} (segment {index + 1}) has no {binding.Into} to go into; skipped");
                continue;
            }
            ApplyRules(element, new Source(segments[index], index, null), target.Resource, target);
        }
        if (unmapped.Count > 0)
        {
            Notes.Add($"segments not used by message map {map.Name}: {string.Join(", ", unmapped)}");
        }
    }

    /// <summary>
    /// A segment with several <c>into</c> lines (NTE into the observation or the report) goes into
    /// the nearest target made before it only: after an OBX its note is the observation's, after
    /// the OBR the report's. A segment with one <c>into</c> line keeps the usual alias lookup.
    /// </summary>
    private bool IsNearestInto(List<(SegmentBinding Binding, int Index, Entry? Entry)> work, SegmentBinding binding, int index)
    {
        var rivals = work.Where(w => w.Index == index && w.Entry is null && w.Binding.Into is not null).Select(w => w.Binding).ToList();
        if (rivals.Count <= 1)
        {
            return true;
        }
        int Before(SegmentBinding b) => _aliases.Where(a => a.Alias == b.Into && a.Entry.SegmentIndex <= index).Select(a => a.Entry.SegmentIndex).DefaultIfEmpty(-1).Max();
        var best = rivals.OrderByDescending(Before).First();
        return ReferenceEquals(best, binding) && Before(binding) >= 0;
    }

    private Entry NewEntry(ElementMap element, int segmentIndex, V2Value? value, string? alias)
    {
        var ordinal = _ordinal++;
        var entry = new Entry(BundleAssembly.DeterministicUuid(Sender, ControlId, element.Name, segmentIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture)), element.FhirType, element, segmentIndex, value, ordinal)
        {
            Alias = alias,
        };
        Entries.Add(entry);
        return entry;
    }

    public Entry? FindAlias(string alias, int segmentIndex)
    {
        Entry? before = null;
        Entry? after = null;
        foreach (var (name, entry) in _aliases)
        {
            if (name != alias)
            {
                continue;
            }
            if (entry.SegmentIndex <= segmentIndex)
            {
                before = entry;
            }
            else
            {
                after ??= entry;
            }
        }
        return before ?? after;
    }

    /// <summary>What rules read from: a segment (segment maps) or a v2 value (data type maps).</summary>
    internal readonly record struct Source(Hl7Segment? Segment, int SegmentIndex, V2Value? Value);

    public void ApplyRules(ElementMap map, Source source, JsonObject target, Entry? self)
    {
        foreach (var rule in map.Rules)
        {
            switch (rule.Kind)
            {
                case RuleKind.Constant:
                    if (Primitives.Convert(rule.Type, rule.Source, Options.Zone, out var problem) is { } constant)
                    {
                        JsonPaths.Set(target, rule.Target, constant);
                    }
                    else if (problem is not null)
                    {
                        Notes.Add($"{map.Origin}:{rule.Line}: {problem}");
                    }
                    break;
                case RuleKind.Reference:
                    if (FindAlias(rule.Source, source.SegmentIndex) is { } referenced && referenced != self)
                    {
                        JsonPaths.Set(target, rule.Target, new JsonObject { ["reference"] = "urn:uuid:" + referenced.Uuid });
                    }
                    break;
                case RuleKind.Link:
                    if (self is not null && FindAlias(rule.Source, source.SegmentIndex) is { } owner && owner != self)
                    {
                        JsonPaths.Set(owner.Resource, rule.Target, new JsonObject { ["reference"] = "urn:uuid:" + self.Uuid });
                        foreach (var (path, value) in rule.Sets)
                        {
                            JsonPaths.Set(owner.Resource, path, JsonValue.Create(value));
                        }
                    }
                    break;
                default:
                    foreach (var value in Select(rule, source))
                    {
                        var suffix = "";
                        var node = rule.Type == "varies" ? Varies(value, source, out suffix) : Produce(rule, value, source);
                        if (node is not null)
                        {
                            JsonPaths.Set(target, rule.Target.Replace("[x]", suffix, StringComparison.Ordinal), node);
                        }
                    }
                    break;
            }
        }
    }

    private V2Value[] Select(MapRule rule, Source source)
    {
        if (source.Value is { } value)
        {
            var selected = value.Select(rule.Source);
            return selected.IsEmpty ? [] : [selected];
        }
        var path = PathOf(rule.Source);
        if (path is null)
        {
            Notes.Add($"rule line {rule.Line}: '{rule.Source}' is not a v2 path");
            return [];
        }
        var segment = path.Segment == source.Segment!.Id ? source.Segment : FindSegment(path.Segment, source.SegmentIndex);
        return segment is null ? [] : path.Select(segment);
    }

    public Hl7Segment? FindSegment(string id, int index)
    {
        var segments = Message.Segments;
        for (var i = Math.Min(index, segments.Length - 1); i >= 0; i--)
        {
            if (segments[i].Id == id)
            {
                return segments[i];
            }
        }
        for (var i = index + 1; i < segments.Length; i++)
        {
            if (segments[i].Id == id)
            {
                return segments[i];
            }
        }
        return null;
    }

    /// <summary>The FHIR value of one v2 value under a rule; null when empty or unconvertible.</summary>
    private JsonNode? Produce(MapRule rule, V2Value value, Source source)
    {
        if (Primitives.IsPrimitive(rule.Type))
        {
            return Primitive(rule.Type, value, rule.Vocabulary, rule.Line);
        }
        var map = Set.FindElement(rule.Type)!;
        var node = Element(map, value, source.SegmentIndex);
        if (node is null)
        {
            return null;
        }
        if (rule.Vocabulary is not null)
        {
            ApplyVocabulary(node, rule.Vocabulary);
        }
        foreach (var (path, constant) in rule.Sets)
        {
            JsonPaths.Set(node, path, JsonValue.Create(constant));
        }
        return node;
    }

    /// <summary>Runs a data type map over a value; a resource-typed map makes an entry and yields a reference to it.</summary>
    public JsonObject? Element(ElementMap map, V2Value value, int segmentIndex)
    {
        if (map.IsResource)
        {
            var entry = NewEntry(map, segmentIndex, value, null);
            ApplyRules(map, new Source(null, segmentIndex, value), entry.Resource, entry);
            if (entry.Resource.Count <= 1)
            {
                Entries.Remove(entry);
                return null;
            }
            return new JsonObject { ["reference"] = "urn:uuid:" + entry.Uuid };
        }
        var node = new JsonObject();
        ApplyRules(map, new Source(null, segmentIndex, value), node, null);
        if (JsonPaths.Prune(node))
        {
            return null;
        }
        // An extension whose value did not convert is only its constant url: ext-1 forbids it.
        return map.FhirType == "Extension" && !HasExtensionValue(node) ? null : node;
    }

    private static bool HasExtensionValue(JsonObject node)
    {
        foreach (var (key, _) in node)
        {
            if (key == "extension" || key.StartsWith("value", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    public JsonNode? Primitive(string type, V2Value value, string? vocabulary, int line)
    {
        var text = type == "text" ? value.FullText : value.Text;
        if (text.Length == 0)
        {
            return null;
        }
        if (vocabulary is not null && Set.FindVocabulary(vocabulary) is { } vocab)
        {
            if ((vocab.Codes.TryGetValue(text, out var mapped) || vocab.Codes.TryGetValue(text.ToUpperInvariant(), out mapped))
                && (mapped.System.Length == 0 || vocab.PrimarySystem is null || mapped.System == vocab.PrimarySystem))
            {
                text = mapped.Code;
            }
            else if (type is "code" or "boolean")
            {
                // FHIR codes bound to a required value set: an unmapped v2 code would make the resource invalid.
                Notes.Add($"'{text}' is not in vocabulary {vocabulary}; dropped");
                return null;
            }
        }
        text = type switch
        {
            "system" => SystemUri(text),
            "hdsystem" => HdSystem(value, 0),
            "eisystem" => HdSystem(value, 1),
            _ => text,
        };
        if (text.Length == 0)
        {
            return null;
        }
        var node = Primitives.Convert(type is "system" or "hdsystem" or "eisystem" ? "uri" : type, text, Options.Zone, out var problem);
        if (problem is not null)
        {
            Notes.Add($"line {line}: {problem}");
        }
        return node;
    }

    /// <summary>A v2 coding system name as a FHIR system: the mapping's table, then HL7 tables (HL70001 → v2-0001), else the name itself.</summary>
    public string SystemUri(string name)
    {
        if (Set.CodingSystemUri(name) is { } uri)
        {
            return uri;
        }
        var table = HL7Table().Match(name);
        return table.Success ? "http://terminology.hl7.org/CodeSystem/v2-" + table.Groups[1].Value : name.Replace(' ', '_');
    }

    /// <summary>An HD as an identifier system: its universal id (urn:oid:/urn:uuid: per HD.3), else the namespace id (mapped when the table knows it).</summary>
    private string HdSystem(V2Value hd, int shift)
    {
        var ns = hd.Child(1 + shift).Text;
        var universal = hd.Child(2 + shift).Text;
        var kind = hd.Child(3 + shift).Text.ToUpperInvariant();
        if (universal.Length > 0)
        {
            return kind switch
            {
                "ISO" => "urn:oid:" + universal.TrimEnd('.'),
                "UUID" => "urn:uuid:" + universal,
                _ => universal,
            };
        }
        return ns.Length == 0 ? "" : Set.CodingSystemUri(ns) ?? ns.Replace(' ', '_');
    }

    /// <summary>Replaces the first coding of a CodeableConcept (or a Coding) by its vocabulary translation, keeping the text.</summary>
    private void ApplyVocabulary(JsonObject node, string vocabulary)
    {
        var vocab = Set.FindVocabulary(vocabulary);
        var coding = node["coding"] is JsonArray { Count: > 0 } codings ? codings[0] as JsonObject : node.ContainsKey("code") ? node : null;
        if (vocab is null || coding?["code"]?.GetValue<string>() is not { } code)
        {
            return;
        }
        if (!vocab.Codes.TryGetValue(code, out var mapped))
        {
            return;
        }
        coding["system"] = mapped.System.Length > 0 ? mapped.System : coding["system"]?.DeepClone();
        coding["code"] = mapped.Code;
        if (mapped.Display.Length > 0)
        {
            coding["display"] = mapped.Display;
        }
    }

    [GeneratedRegex("^HL7([0-9]{4})$")]
    private static partial Regex HL7Table();
}
