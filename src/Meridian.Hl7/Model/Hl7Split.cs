namespace Meridian.Hl7;

/// <summary>Allocation-light splitting of escaped text on one delimiter (pieces are found by scanning, not by arrays).</summary>
internal static class Hl7Split
{
    /// <summary>The piece at <paramref name="index"/> (0-based); empty when there are fewer pieces.</summary>
    public static string Piece(string text, char separator, int index)
    {
        if (index < 0 || text.Length == 0)
        {
            return "";
        }
        if (separator == '\0')
        {
            return index == 0 ? text : "";
        }
        var start = 0;
        for (var i = 0; i < index; i++)
        {
            var next = text.IndexOf(separator, start);
            if (next < 0)
            {
                return "";
            }
            start = next + 1;
        }
        var end = text.IndexOf(separator, start);
        return end < 0 ? (start == 0 ? text : text[start..]) : text[start..end];
    }

    /// <summary>How many pieces: 0 for empty text, else separators + 1.</summary>
    public static int Count(string text, char separator)
    {
        if (text.Length == 0)
        {
            return 0;
        }
        return separator == '\0' ? 1 : text.AsSpan().Count(separator) + 1;
    }

    /// <summary>Every piece in order, in one pass (indexing piece by piece would be quadratic on hostile input).</summary>
    public static IEnumerable<string> Pieces(string text, char separator)
    {
        if (text.Length == 0)
        {
            yield break;
        }
        if (separator == '\0')
        {
            yield return text;
            yield break;
        }
        var start = 0;
        while (true)
        {
            var end = text.IndexOf(separator, start);
            if (end < 0)
            {
                yield return start == 0 ? text : text[start..];
                yield break;
            }
            yield return text[start..end];
            start = end + 1;
        }
    }
}
