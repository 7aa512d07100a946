using System.Collections.Immutable;
using System.Text;

namespace Meridian.Hl7;

/// <summary>Turns the scanned lines of one message (MSH first) into an <see cref="Hl7Message"/> and its warnings.</summary>
internal static class Hl7MessageAssembler
{
    public static Hl7Message? Build(IReadOnlyList<RawSegment> lines, Encoding encoding, string leading, Hl7ParseOptions options, List<Hl7Issue> issues)
    {
        if (lines.Count == 0)
        {
            issues.Add(Hl7Issue.Error(Hl7IssueCodes.Empty, "the payload holds no segments"));
            return null;
        }
        var first = lines[0].Text;
        if (!first.StartsWith("MSH", StringComparison.Ordinal))
        {
            var shown = Printable(first.Length > 40 ? first[..40] + "…" : first);
            issues.Add(Hl7Issue.Error(Hl7IssueCodes.NoMsh, $"the message does not start with an MSH segment (it starts with '{shown}')", "segment 1"));
            return null;
        }
        if (lines.Count > options.MaxSegments)
        {
            issues.Add(Hl7Issue.Error(Hl7IssueCodes.TooLarge, $"{lines.Count} segments exceed the limit of {options.MaxSegments}"));
            return null;
        }
        if (Hl7DelimiterReader.Read(first, issues) is not { } delimiters)
        {
            return null;
        }
        var msh = new Hl7Segment(first, lines[0].Terminator, delimiters, Hl7Versions.Default);
        var version = Hl7Versions.Effective(msh.Field(12).Value);
        var segments = ImmutableArray.CreateBuilder<Hl7Segment>(lines.Count);
        segments.Add(msh.WithVersion(version));
        for (var i = 1; i < lines.Count; i++)
        {
            segments.Add(new Hl7Segment(lines[i].Text, lines[i].Terminator, delimiters, version));
        }
        if (leading.Length > 0)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.LeadingJunk, $"{leading.Length} blank or framing character(s) before MSH were kept but ignored"));
        }
        CheckSegments(segments, issues);
        CheckHeader(segments[0], options, issues);
        if (options.CheckDataTypes)
        {
            Hl7DataTypeChecks.Check(segments, issues);
        }
        var message = new Hl7Message(segments.MoveToImmutable(), delimiters, encoding, leading);
        foreach (var required in options.RequiredFields)
        {
            if (Hl7Path.TryParse(required, out var path) && path.Select(message).IsEmpty)
            {
                issues.Add(Hl7Issue.Warning(Hl7IssueCodes.MissingField, $"{required} is required by this sender's profile but empty", required));
            }
        }
        return message;
    }

    private static void CheckSegments(IReadOnlyList<Hl7Segment> segments, List<Hl7Issue> issues)
    {
        string? separator = null;
        var blank = false;
        var trailing = -1;
        var badIds = 0;
        var embeddedBreak = false;
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            var term = s.Terminator;
            if (term.Length > 0 && term != "\r")
            {
                if (term is "\n" or "\r\n")
                {
                    separator ??= term == "\n" ? "LF" : "CR LF";
                }
                else
                {
                    blank = true;
                }
            }
            if (s.Raw.Contains('\n', StringComparison.Ordinal) && !embeddedBreak)
            {
                embeddedBreak = true;
                issues.Add(Hl7Issue.Warning(Hl7IssueCodes.LineBreakInField, "a field holds a raw line break (it should be escaped as \\.br\\); kept as text", $"{s.Id} (segment {i + 1})"));
            }
            if (!IsSegmentId(s.Id) && ++badIds <= 10)
            {
                var shown = s.Id.Length > 20 ? s.Id[..20] + "…" : s.Id;
                issues.Add(Hl7Issue.Warning(Hl7IssueCodes.SegmentId, $"'{shown}' is not a segment id (three capital letters or digits)", $"segment {i + 1}"));
            }
            if (trailing < 0 && s.Raw.Length > 0 && s.Raw[^1] == s.Delimiters.Field && !(s.IsHeader && s.FieldCount <= 2))
            {
                trailing = i;
            }
        }
        if (badIds > 10)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.SegmentId, $"{badIds} segments in all have malformed ids; only the first 10 are listed"));
        }
        if (separator is not null)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.SegmentSeparator, $"segments are separated by {separator} instead of CR"));
        }
        if (blank)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.BlankLines, "blank lines or padding between segments were kept but ignored"));
        }
        if (trailing >= 0)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.TrailingDelimiters, "a segment ends with empty fields (trailing field separators)", $"{segments[trailing].Id} (segment {trailing + 1})"));
        }
    }

    internal static bool IsSegmentId(string id) =>
        id.Length == 3 && char.IsAsciiLetterUpper(id[0]) && (char.IsAsciiLetterUpper(id[1]) || char.IsAsciiDigit(id[1])) && (char.IsAsciiLetterUpper(id[2]) || char.IsAsciiDigit(id[2]));

    private static void CheckHeader(Hl7Segment msh, Hl7ParseOptions options, List<Hl7Issue> issues)
    {
        void Required(int position, string name)
        {
            if (msh.Field(position).IsEmpty)
            {
                issues.Add(Hl7Issue.Warning(Hl7IssueCodes.MissingField, $"MSH-{position} ({name}) is empty", $"MSH-{position}"));
            }
        }
        Required(7, "date/time of message");
        Required(9, "message type");
        Required(10, "message control id");
        Required(11, "processing id");
        var declared = msh.Field(12).Value;
        if (declared.Length == 0)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.Version, $"MSH-12 (version) is empty; read as {msh.Version}", "MSH-12"));
        }
        else if (!Hl7Versions.IsKnown(declared))
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.Version, $"MSH-12 '{Trim(declared)}' is not an HL7 v2 version; read as {msh.Version}", "MSH-12"));
        }
        if (options.ExpectedVersion is { Length: > 0 } expected && declared != expected)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.VersionMismatch, $"MSH-12 is '{Trim(declared)}' but this sender is configured for {expected}", "MSH-12"));
        }
    }

    internal static string Printable(string s) =>
        string.Concat(s.Select(c => char.IsControl(c) ? $"\\x{(int)c:X2}" : c.ToString()));

    private static string Trim(string s) => s.Length > 20 ? s[..20] + "…" : s;
}
