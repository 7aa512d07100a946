namespace Meridian.Hl7;

/// <summary>One line of a payload: the segment text and exactly what separated it from the next one.</summary>
internal readonly record struct RawSegment(string Text, string Terminator);

/// <summary>
/// Splits a payload into segments without knowing its delimiters. A segment ends at CR or LF
/// (CR LF and blank lines included); whatever separated two segments is kept as the first one's
/// terminator, so nothing is lost. Characters that are only padding — whitespace, a BOM, MLLP
/// frame bytes (0x0B, 0x1C), NUL — count as blank.
/// </summary>
internal static class Hl7SegmentScanner
{
    public static (string Leading, List<RawSegment> Segments) Scan(string text)
    {
        var segments = new List<RawSegment>();
        var pos = SkipBlankLines(text, 0, allowLineContent: true);
        var leading = text[..pos];
        // When the payload separates segments with CR, a bare LF is usually a line break a sender
        // left inside a text field (OBX-5, NTE-3); it splits only where a segment plainly starts.
        var usesCr = text.Contains('\r', StringComparison.Ordinal);
        while (pos < text.Length)
        {
            var end = FindLineEnd(text, pos, usesCr);
            var afterTerminator = SkipBlankLines(text, end, allowLineContent: false);
            var terminator = afterTerminator - end == 1 && text[end] == '\r' ? "\r" : text[end..afterTerminator];
            segments.Add(new RawSegment(text[pos..end], terminator));
            pos = afterTerminator;
        }
        return (leading, segments);
    }

    private static int FindLineEnd(string text, int pos, bool usesCr)
    {
        while (true)
        {
            var end = text.AsSpan(pos).IndexOfAny('\r', '\n');
            if (end < 0)
            {
                return text.Length;
            }
            end += pos;
            if (text[end] == '\r' || !usesCr || LooksLikeSegmentStart(text, end + 1))
            {
                return end;
            }
            pos = end + 1;
        }
    }

    /// <summary>Three capital letters or digits followed by a non-alphanumeric character, a line end or the end.</summary>
    private static bool LooksLikeSegmentStart(string text, int at)
    {
        if (at >= text.Length || text[at] is '\r' or '\n')
        {
            return true;
        }
        if (at + 3 > text.Length)
        {
            return false;
        }
        for (var i = at; i < at + 3; i++)
        {
            if (!char.IsAsciiLetterUpper(text[i]) && !char.IsAsciiDigit(text[i]))
            {
                return false;
            }
        }
        return at + 3 == text.Length || !char.IsAsciiLetterOrDigit(text[at + 3]) && !char.IsWhiteSpace(text[at + 3]) || text[at + 3] is '\r' or '\n';
    }

    public static bool IsBlank(char c) => c is ' ' or '\t' or '\r' or '\n' or '\v' or '\f' or '\x1c' or '\0' or '\uFEFF';

    /// <summary>
    /// From a line end (or the start, with <paramref name="allowLineContent"/>), skips line
    /// breaks and lines that hold only blank characters; returns where the next segment starts.
    /// </summary>
    private static int SkipBlankLines(string text, int pos, bool allowLineContent)
    {
        var committed = pos;
        var i = pos;
        var atLineStart = allowLineContent;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is '\r' or '\n')
            {
                i++;
                committed = i;
                atLineStart = true;
                continue;
            }
            if (!atLineStart || !IsBlank(c))
            {
                break;
            }
            i++;
        }
        // A blank tail with no line break after it (e.g. a trailing MLLP 0x1C) still belongs to the terminator.
        return i == text.Length || allowLineContent ? i : committed;
    }
}
