using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Meridian.Hl7;

/// <summary>
/// Splits a payload into envelope segments and messages. Each MSH starts a message that runs to
/// the next MSH or envelope segment; FHS and BHS declare their own delimiters, BTS/FTS counts
/// are checked against what was found (a mismatch is a warning).
/// </summary>
internal static class Hl7BatchParser
{
    public static Hl7Batch Parse(string text, Encoding encoding, Hl7ParseOptions options, List<Hl7Issue> issues)
    {
        var (leading, lines) = Hl7SegmentScanner.Scan(text);
        var parts = ImmutableArray.CreateBuilder<Hl7BatchPart>();
        if (lines.Count == 0)
        {
            issues.Add(Hl7Issue.Error(Hl7IssueCodes.Empty, "the payload holds no segments"));
            return new Hl7Batch(parts.ToImmutable(), [.. issues], encoding, leading);
        }
        if (leading.Length > 0)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.LeadingJunk, $"{leading.Length} blank or framing character(s) before the first segment were kept but ignored"));
        }
        var envelope = Hl7Delimiters.Default;
        var messagesInBatch = 0;
        var batches = 0;
        var i = 0;
        while (i < lines.Count)
        {
            var line = lines[i];
            var id = line.Text.Length >= 3 ? line.Text[..3] : line.Text;
            if (id == "MSH")
            {
                var end = i + 1;
                while (end < lines.Count && !StartsMessageOrEnvelope(lines[end].Text))
                {
                    end++;
                }
                var messageIssues = new List<Hl7Issue>();
                var slice = lines.GetRange(i, end - i);
                var message = Hl7MessageAssembler.Build(slice, encoding, "", options, messageIssues);
                var result = new Hl7ParseResult(message, [.. messageIssues]);
                parts.Add(new Hl7BatchPart(null, result, message is null ? string.Concat(slice.Select(l => l.Text + l.Terminator)) : ""));
                messagesInBatch++;
                i = end;
                continue;
            }
            if (id is "FHS" or "BHS")
            {
                if (Hl7DelimiterReader.Read(line.Text, issues) is { } declared)
                {
                    envelope = declared;
                }
                if (id == "BHS")
                {
                    batches++;
                    messagesInBatch = 0;
                }
            }
            var segment = new Hl7Segment(line.Text, line.Terminator, envelope, Hl7Versions.Default);
            switch (segment.Id)
            {
                case "BTS":
                    CheckCount(segment, messagesInBatch, "BTS-1 (batch message count)", issues);
                    break;
                case "FTS":
                    CheckCount(segment, batches, "FTS-1 (file batch count)", issues);
                    break;
                case "FHS" or "BHS":
                    break;
                default:
                    issues.Add(Hl7Issue.Warning(Hl7IssueCodes.BatchStructure, $"segment '{Short(line.Text)}' is outside any message; kept but ignored", $"segment {i + 1}"));
                    break;
            }
            parts.Add(new Hl7BatchPart(segment, null, ""));
            i++;
        }
        if (!parts.Any(p => p.Result is not null))
        {
            issues.Add(Hl7Issue.Error(Hl7IssueCodes.NoMsh, "the payload holds no MSH segment"));
        }
        return new Hl7Batch(parts.ToImmutable(), [.. issues], encoding, leading);
    }

    private static bool StartsMessageOrEnvelope(string text) =>
        text.StartsWith("MSH", StringComparison.Ordinal) || text.StartsWith("BHS", StringComparison.Ordinal)
        || text.StartsWith("FHS", StringComparison.Ordinal) || text.StartsWith("BTS", StringComparison.Ordinal)
        || text.StartsWith("FTS", StringComparison.Ordinal);

    private static void CheckCount(Hl7Segment trailer, int actual, string what, List<Hl7Issue> issues)
    {
        var declared = trailer.Field(1).Value;
        if (declared.Length > 0 && (!int.TryParse(declared, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n != actual))
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.BatchStructure, $"{what} says {declared} but {actual} were found", trailer.Id));
        }
    }

    private static string Short(string s) => s.Length > 30 ? s[..30] + "…" : s;
}
