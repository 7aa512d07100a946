namespace Meridian.Hl7;

/// <summary>Reads the delimiters a header segment (MSH, FHS, BHS) declares in its fields 1 and 2.</summary>
internal static class Hl7DelimiterReader
{
    /// <summary>The delimiters, or null with an error issue added; warnings for incomplete but usable declarations.</summary>
    public static Hl7Delimiters? Read(string header, List<Hl7Issue> issues)
    {
        var id = header.Length >= 3 ? header[..3] : header;
        if (header.Length < 5)
        {
            issues.Add(Hl7Issue.Error(Hl7IssueCodes.BadDelimiters, $"{id} is too short to declare its delimiters", $"{id}-1"));
            return null;
        }
        var field = header[3];
        if (!Usable(field))
        {
            issues.Add(Hl7Issue.Error(Hl7IssueCodes.BadDelimiters, $"{id}-1 field separator '{Show(field)}' is a letter, digit, space or control character", $"{id}-1"));
            return null;
        }
        var end = header.IndexOf(field, 4);
        var encoding = end < 0 ? header[4..] : header[4..end];
        if (encoding.Length == 0)
        {
            issues.Add(Hl7Issue.Error(Hl7IssueCodes.BadDelimiters, $"{id}-2 (encoding characters) is empty", $"{id}-2"));
            return null;
        }
        if (encoding.Length > 5)
        {
            issues.Add(Hl7Issue.Error(Hl7IssueCodes.BadDelimiters, $"{id}-2 has {encoding.Length} characters; at most 5 encoding characters exist", $"{id}-2"));
            return null;
        }
        var collapsed = Collapse(encoding);
        if (collapsed.Length != encoding.Length && collapsed.Length >= 4)
        {
            // "^~\\&" is a common slip (a string literal's escaping leaked into the message): read one of each.
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.BadDelimiters, $"{id}-2 '{encoding}' repeats a character; read as '{collapsed}'", $"{id}-2"));
            encoding = collapsed;
        }
        var seen = new HashSet<char> { field };
        foreach (var c in encoding)
        {
            if (!Usable(c))
            {
                issues.Add(Hl7Issue.Error(Hl7IssueCodes.BadDelimiters, $"{id}-2 encoding character '{Show(c)}' is a letter, digit, space or control character", $"{id}-2"));
                return null;
            }
            if (!seen.Add(c))
            {
                issues.Add(Hl7Issue.Error(Hl7IssueCodes.BadDelimiters, $"{id}-2 declares '{c}' twice (or the same as the field separator)", $"{id}-2"));
                return null;
            }
        }
        if (encoding.Length < 4)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.BadDelimiters, $"{id}-2 declares only {encoding.Length} of the 4 encoding characters; the missing ones are not used", $"{id}-2"));
        }
        char At(int i) => i < encoding.Length ? encoding[i] : '\0';
        return new Hl7Delimiters(field, At(0), At(1), At(2), At(3), At(4));
    }

    private static string Collapse(string s)
    {
        var chars = new List<char>(s.Length);
        foreach (var c in s)
        {
            if (chars.Count == 0 || chars[^1] != c)
            {
                chars.Add(c);
            }
        }
        return new string([.. chars]);
    }

    private static bool Usable(char c) => !char.IsLetterOrDigit(c) && !char.IsWhiteSpace(c) && !char.IsControl(c) && c != '\uFEFF';

    private static string Show(char c) => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString();
}
