using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Meridian.Hl7.Fhir.Mapping;

/// <summary>What one mapping file holds: blocks by kind, and the problems found (file:line).</summary>
internal sealed record MappingFile(
    ImmutableArray<MessageMap> Messages,
    ImmutableArray<ElementMap> Elements,
    ImmutableArray<VocabularyMap> Vocabularies,
    ImmutableArray<VariesEntry> Varies,
    ImmutableArray<KeyValuePair<string, string>> CodingSystems,
    ImmutableArray<string> Problems);

/// <summary>
/// Reads the mapping file format (docs/hl7v2-mapping.md): blocks opened by a keyword at the start
/// of a line (<c>message</c>, <c>segment</c>, <c>datatype</c>, <c>vocabulary</c>, <c>varies</c>,
/// <c>codingsystems</c>), indented rule lines below, <c>#</c> comments. Vocabulary and coding
/// system lines are tab-separated (displays contain spaces); rule lines are whitespace-separated
/// with double-quoted literals. Never throws on bad input: problems are returned.
/// </summary>
internal static class MappingFileParser
{
    public static MappingFile Parse(string text, string origin)
    {
        var messages = ImmutableArray.CreateBuilder<MessageMap>();
        var elements = ImmutableArray.CreateBuilder<ElementMap>();
        var vocabularies = ImmutableArray.CreateBuilder<VocabularyMap>();
        var varies = ImmutableArray.CreateBuilder<VariesEntry>();
        var systems = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        var problems = ImmutableArray.CreateBuilder<string>();

        string? kind = null;
        string[] header = [];
        var lines = new List<(string Text, int Number)>();

        void Flush()
        {
            if (kind is null)
            {
                return;
            }
            switch (kind)
            {
                case "message":
                    messages.Add(BuildMessage(header, lines, origin, problems));
                    break;
                case "segment":
                case "datatype":
                    if (BuildElement(kind, header, lines, origin, problems) is { } element)
                    {
                        elements.Add(element);
                    }
                    break;
                case "vocabulary":
                    vocabularies.Add(BuildVocabulary(header, lines, origin, problems));
                    break;
                case "varies":
                    foreach (var (line, number) in lines)
                    {
                        var t = Tokens(line);
                        if (t.Count != 3)
                        {
                            problems.Add($"{origin}:{number}: a varies line is V2TYPE FHIRSUFFIX TYPE");
                            continue;
                        }
                        varies.Add(new VariesEntry(t[0], t[1], t[2]));
                    }
                    break;
                case "codingsystems":
                    foreach (var (line, number) in lines)
                    {
                        var t = line.Split('\t', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                        if (t.Length != 2)
                        {
                            problems.Add($"{origin}:{number}: a coding system line is NAME<tab>URI");
                            continue;
                        }
                        systems.Add(new(t[0], t[1]));
                    }
                    break;
            }
            lines.Clear();
        }

        var n = 0;
        foreach (var raw in text.Split('\n'))
        {
            n++;
            var line = StripComment(raw.TrimEnd('\r'));
            if (line.Trim().Length == 0)
            {
                continue;
            }
            if (!char.IsWhiteSpace(line[0]))
            {
                Flush();
                var t = Tokens(line);
                kind = t[0];
                header = [.. t.Skip(1)];
                if (kind is not ("message" or "segment" or "datatype" or "vocabulary" or "varies" or "codingsystems"))
                {
                    problems.Add($"{origin}:{n}: unknown block '{kind}'");
                    kind = null;
                }
                continue;
            }
            if (kind is null)
            {
                problems.Add($"{origin}:{n}: a rule line outside any block");
                continue;
            }
            lines.Add((kind is "vocabulary" or "codingsystems" ? line.Trim(' ') : line.Trim(), n));
        }
        Flush();
        return new MappingFile(messages.ToImmutable(), elements.ToImmutable(), vocabularies.ToImmutable(), varies.ToImmutable(), systems.ToImmutable(), problems.ToImmutable());
    }

    private static string StripComment(string line)
    {
        var inQuote = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == '"')
            {
                inQuote = !inQuote;
            }
            else if (line[i] == '#' && !inQuote && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }
        return line;
    }

    /// <summary>Whitespace-separated tokens; a double-quoted token keeps its spaces (quotes kept, so literals are recognisable).</summary>
    internal static List<string> Tokens(string line)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i]))
            {
                i++;
                continue;
            }
            var start = i;
            if (line[i] == '"')
            {
                var end = line.IndexOf('"', i + 1);
                i = end < 0 ? line.Length : end + 1;
            }
            else
            {
                while (i < line.Length && !char.IsWhiteSpace(line[i]))
                {
                    i++;
                }
            }
            tokens.Add(line[start..i]);
        }
        return tokens;
    }

    private static MessageMap BuildMessage(string[] header, List<(string Text, int Number)> lines, string origin, ImmutableArray<string>.Builder problems)
    {
        var bindings = ImmutableArray.CreateBuilder<SegmentBinding>();
        foreach (var (line, number) in lines)
        {
            var t = Tokens(line);
            // SEG MAP [alias] | SEG MAP into ALIAS
            if (t.Count is < 2 or > 3 || (t.Count == 3 && t[2] == "into"))
            {
                if (t.Count == 4 && t[2] == "into")
                {
                    bindings.Add(new SegmentBinding(t[0], t[1], null, t[3]));
                    continue;
                }
                problems.Add($"{origin}:{number}: a message line is SEG MAP [ALIAS] or SEG MAP into ALIAS");
                continue;
            }
            bindings.Add(new SegmentBinding(t[0], t[1], t.Count == 3 ? t[2] : null, null));
        }
        if (header.Length == 0)
        {
            problems.Add($"{origin}: a message block without a name");
        }
        return new MessageMap(header.FirstOrDefault() ?? "", [.. header], bindings.ToImmutable(), origin);
    }

    private static ElementMap? BuildElement(string kind, string[] header, List<(string Text, int Number)> lines, string origin, ImmutableArray<string>.Builder problems)
    {
        if (header.Length != 2)
        {
            problems.Add($"{origin}: '{kind} {string.Join(' ', header)}' must be '{kind} NAME[,NAME…] FHIRTYPE'");
            return null;
        }
        var names = header[0].Split(',', StringSplitOptions.RemoveEmptyEntries);
        var fhirType = header[1];
        var isResource = Meridian.Fhir.Specification.FhirSpec.R4.IsResourceType(fhirType);
        var rules = ImmutableArray.CreateBuilder<MapRule>();
        var keys = ImmutableArray.CreateBuilder<KeySpec>();
        foreach (var (line, number) in lines)
        {
            var t = Tokens(line);
            if (t[0] == "key")
            {
                if (t.Count < 2 || t[1] is not ("identifier" or "hash"))
                {
                    problems.Add($"{origin}:{number}: a key is 'key identifier [TYPE]' or 'key hash PART…'");
                    continue;
                }
                keys.Add(new KeySpec(t[1], [.. t.Skip(2)]));
                continue;
            }
            if (t[0] == "ref")
            {
                if (t.Count != 3)
                {
                    problems.Add($"{origin}:{number}: 'ref TARGET ALIAS'");
                    continue;
                }
                rules.Add(new MapRule(RuleKind.Reference, t[2], t[1], "Reference", null, [], number));
                continue;
            }
            if (t[0] == "link")
            {
                if (t.Count < 3)
                {
                    problems.Add($"{origin}:{number}: 'link ALIAS TARGET [path=value…]'");
                    continue;
                }
                rules.Add(new MapRule(RuleKind.Link, t[1], t[2], "Reference", null, Sets(t.Skip(3), origin, number, problems), number));
                continue;
            }
            if (t.Count < 3)
            {
                problems.Add($"{origin}:{number}: a rule is SOURCE TARGET TYPE [VOCABULARY] [path=value…]");
                continue;
            }
            var rest = t.Skip(3).ToList();
            string? vocabulary = rest.Count > 0 && !rest[0].Contains('=', StringComparison.Ordinal) ? rest[0] : null;
            var sets = Sets(vocabulary is null ? rest : rest.Skip(1), origin, number, problems);
            var isLiteral = t[0].Length >= 2 && t[0][0] == '"' && t[0][^1] == '"';
            rules.Add(new MapRule(isLiteral ? RuleKind.Constant : RuleKind.Field, isLiteral ? t[0][1..^1] : t[0], t[1], t[2], vocabulary, sets, number));
        }
        return new ElementMap(names[0], [.. names], fhirType, isResource, rules.ToImmutable(), keys.ToImmutable(), origin);
    }

    private static ImmutableArray<KeyValuePair<string, string>> Sets(IEnumerable<string> tokens, string origin, int number, ImmutableArray<string>.Builder problems)
    {
        var sets = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var token in tokens)
        {
            // The separator is the first '=' outside brackets: "link[=].type=replaces".
            var eq = -1;
            var depth = 0;
            for (var i = 0; i < token.Length && eq < 0; i++)
            {
                depth += token[i] switch { '[' => 1, ']' => -1, _ => 0 };
                if (token[i] == '=' && depth == 0)
                {
                    eq = i;
                }
            }
            if (eq <= 0)
            {
                problems.Add($"{origin}:{number}: '{token}' is not path=value");
                continue;
            }
            var value = token[(eq + 1)..];
            sets.Add(new(token[..eq], value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value));
        }
        return sets.ToImmutable();
    }

    private static VocabularyMap BuildVocabulary(string[] header, List<(string Text, int Number)> lines, string origin, ImmutableArray<string>.Builder problems)
    {
        var codes = new Dictionary<string, VocabularyEntry>(StringComparer.Ordinal);
        foreach (var (line, number) in lines)
        {
            var t = line.Split('\t').Select(s => s.Trim()).ToArray();
            if (t.Length < 3 || t[0].Length == 0 || t[2].Length == 0)
            {
                problems.Add($"{origin}:{number}: a vocabulary line is CODE<tab>SYSTEM<tab>CODE[<tab>DISPLAY]");
                continue;
            }
            codes.TryAdd(t[0], new VocabularyEntry(t[1], t[2], t.Length > 3 ? t[3] : ""));
        }
        // The IG's concept maps occasionally send one code to another code system (CP -> contact-point-use
        // "mobile" in a contact-point-system map): a primitive code only takes codes of the map's main system.
        var primary = codes.Values.Where(c => c.System.Length > 0).GroupBy(c => c.System).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault();
        return new VocabularyMap(header.FirstOrDefault() ?? "", codes.ToFrozenDictionary(StringComparer.Ordinal), origin) { PrimarySystem = primary };
    }
}
