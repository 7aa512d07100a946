using System.Text;

namespace Meridian.Hl7;

/// <summary>
/// Parses HL7 v2 (ER7, "pipe and hat") payloads. Never throws on bad input: structural failures
/// come back as error issues and a null message, quirks as warnings on a usable message.
/// </summary>
public static class Hl7Parser
{
    /// <summary>
    /// Parses one message from bytes, decoded per MSH-18 (or <paramref name="fallback"/>, UTF-8
    /// when null, if MSH-18 is empty). A payload with several messages or a batch envelope
    /// (FHS/BHS) is reported; use <see cref="ParseBatch(ReadOnlySpan{byte}, Encoding?, Hl7ParseOptions?)"/> for those.
    /// </summary>
    public static Hl7ParseResult Parse(ReadOnlySpan<byte> bytes, Encoding? fallback = null, Hl7ParseOptions? options = null)
    {
        var issues = new List<Hl7Issue>();
        if (bytes.IsEmpty)
        {
            return Hl7ParseResult.Failed(Hl7Issue.Error(Hl7IssueCodes.Empty, "the payload is empty"));
        }
        var (text, encoding) = Hl7Charsets.Decode(bytes, fallback, issues);
        return ParseText(text, encoding, options ?? Hl7ParseOptions.Default, issues);
    }

    /// <summary>Parses one message from text already decoded (written back as UTF-8).</summary>
    public static Hl7ParseResult Parse(string text, Hl7ParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ParseText(text, Hl7Charsets.Utf8, options ?? Hl7ParseOptions.Default, []);
    }

    /// <summary>Parses a batch (FHS/BHS envelopes) or back-to-back messages; a single message is a batch of one.</summary>
    public static Hl7Batch ParseBatch(ReadOnlySpan<byte> bytes, Encoding? fallback = null, Hl7ParseOptions? options = null)
    {
        var issues = new List<Hl7Issue>();
        var (text, encoding) = Hl7Charsets.Decode(bytes, fallback, issues);
        return Hl7BatchParser.Parse(text, encoding, options ?? Hl7ParseOptions.Default, issues);
    }

    /// <summary>Parses a batch from text already decoded.</summary>
    public static Hl7Batch ParseBatch(string text, Hl7ParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Hl7BatchParser.Parse(text, Hl7Charsets.Utf8, options ?? Hl7ParseOptions.Default, []);
    }

    private static Hl7ParseResult ParseText(string text, Encoding encoding, Hl7ParseOptions options, List<Hl7Issue> issues)
    {
        var (leading, lines) = Hl7SegmentScanner.Scan(text);
        if (lines.Count == 0)
        {
            return Hl7ParseResult.Failed(Hl7Issue.Error(Hl7IssueCodes.Empty, "the payload holds no segments"), issues);
        }
        var firstId = lines[0].Text.Length >= 3 ? lines[0].Text[..3] : lines[0].Text;
        if (firstId is "FHS" or "BHS")
        {
            return Hl7ParseResult.Failed(Hl7Issue.Error(Hl7IssueCodes.Batch, $"the payload is a batch ({firstId}); parse it with ParseBatch"), issues);
        }
        var end = lines.FindIndex(1, l => l.Text.StartsWith("MSH", StringComparison.Ordinal));
        if (end > 0)
        {
            var count = lines.Count(l => l.Text.StartsWith("MSH", StringComparison.Ordinal));
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.MultipleMessages, $"the payload holds {count} messages; only the first was read (use ParseBatch)", $"segment {end + 1}"));
            lines = lines[..end];
        }
        var message = Hl7MessageAssembler.Build(lines, encoding, leading, options, issues);
        return new Hl7ParseResult(message, [.. issues]);
    }
}
