using System.Globalization;

namespace Meridian.Hl7;

/// <summary>
/// Checks the primitive values whose form is unambiguous (NM, SI, DT, DTM/TS) against the
/// segment tables, and OBX-5 against the type OBX-2 names. Findings are warnings: a receiver
/// decides per field whether a bad number matters (a mapping does; the store-and-forward
/// inbox does not).
/// </summary>
internal static class Hl7DataTypeChecks
{
    private const int MaxFindings = 20;
    private const int MaxRepetitions = 100;
    private static readonly System.Buffers.SearchValues<char> s_numberChars = System.Buffers.SearchValues.Create("0123456789.");

    public static void Check(IReadOnlyList<Hl7Segment> segments, List<Hl7Issue> issues)
    {
        var findings = 0;
        var occurrences = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var segment in segments)
        {
            occurrences[segment.Id] = occurrences.GetValueOrDefault(segment.Id) + 1;
            var positions = Hl7Schema.Default.Segment(segment.Id)?.CheckablePositions ?? [];
            foreach (var position in positions)
            {
                if (position > segment.FieldCount || !CheckField(segment, position, occurrences, issues, ref findings))
                {
                    continue;
                }
                return;
            }
            if (segment.Id == "OBX" && segment.FieldCount >= 5 && CheckField(segment, 5, occurrences, issues, ref findings))
            {
                return;
            }
        }
    }

    /// <summary>Checks one field's repetitions on spans (nothing allocated unless a value is bad); true when the finding limit was reached.</summary>
    private static bool CheckField(Hl7Segment segment, int position, Dictionary<string, int> occurrences, List<Hl7Issue> issues, ref int findings)
    {
        var raw = segment.FieldSpan(position);
        if (raw.IsEmpty || raw.SequenceEqual("\"\""))
        {
            return false;
        }
        var d = segment.Delimiters;
        var type = position == 5 && segment.Id == "OBX"
            ? FirstComponent(segment.FieldSpan(2), d).ToString()
            : Hl7Schema.Default.FieldType(segment.Id, position, segment.Version);
        if (type is not ("NM" or "SI" or "DT" or "DTM" or "TS"))
        {
            return false;
        }
        var rest = raw;
        // Bounded: a hostile field with a million repetitions must not make parsing slow.
        for (var index = 1; index <= MaxRepetitions && !rest.IsEmpty; index++)
        {
            var cut = d.Repetition == '\0' ? -1 : rest.IndexOf(d.Repetition);
            var rep = cut < 0 ? rest : rest[..cut];
            rest = cut < 0 ? [] : rest[(cut + 1)..];
            var leaf = FirstComponent(rep, d);
            var sub = d.Subcomponent == '\0' ? -1 : leaf.IndexOf(d.Subcomponent);
            leaf = sub < 0 ? leaf : leaf[..sub];
            if (leaf.IsEmpty || leaf.SequenceEqual("\"\"") || IsValid(type, d.Escape != '\0' && leaf.Contains(d.Escape) ? Hl7Escape.Decode(leaf.ToString(), d) : leaf))
            {
                continue;
            }
            if (++findings > MaxFindings)
            {
                issues.Add(Hl7Issue.Warning(Hl7IssueCodes.DataType, $"more than {MaxFindings} malformed values; the rest are not listed"));
                return true;
            }
            var occurrence = occurrences[segment.Id];
            var location = (occurrence > 1 ? $"{segment.Id}[{occurrence}]" : segment.Id) + $"-{position}" + (index > 1 ? $"[{index}]" : "");
            var shown = leaf.Length > 30 ? leaf[..30].ToString() + "…" : leaf.ToString();
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.DataType, $"'{shown}' is not a valid {type}", location));
        }
        return false;
    }

    private static ReadOnlySpan<char> FirstComponent(ReadOnlySpan<char> value, Hl7Delimiters d)
    {
        var cut = d.Component == '\0' ? -1 : value.IndexOf(d.Component);
        return cut < 0 ? value : value[..cut];
    }

    public static bool IsValid(string dataType, ReadOnlySpan<char> value) => dataType switch
    {
        "NM" => IsNumber(value),
        "SI" => value.Length > 0 && !value.ContainsAnyExceptInRange('0', '9'),
        "DT" => value.Length is 4 or 6 or 8 && Hl7DateTime.TryParse(value, out _),
        _ => Hl7DateTime.TryParse(value, out _),
    };

    /// <summary>HL7 NM: optional sign, digits, optional decimal point; no exponent, no thousands separators.</summary>
    public static bool IsNumber(ReadOnlySpan<char> value)
    {
        var s = value.Trim();
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-'))
        {
            s = s[1..];
        }
        var dot = s.IndexOf('.');
        var digits = dot < 0 ? s.Length : s.Length - 1;
        return digits > 0 && (dot < 0 || s[(dot + 1)..].IndexOf('.') < 0)
            && !s.ContainsAnyExcept(s_numberChars)
            && decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _);
    }
}
