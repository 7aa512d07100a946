using System.Globalization;
using System.Text;

namespace Meridian.Hl7;

/// <summary>
/// HL7 escape sequences. The model always keeps the escaped text; these decode on request and
/// encode values being written. Decoding: \F\ \S\ \T\ \R\ \E\ \P\ (truncation, v2.7) become the
/// delimiters, \Xhh…\ the bytes it spells (UTF-8 when valid, else ISO-8859-1), \.br\ and \.sp\ a
/// line break; highlighting (\H\ \N\), character-set switches (\C…\ \M…\) and the other
/// formatting commands (\.in\ \.ti\ \.sk\ \.ce\ \.fi\ \.nf\) carry no text and are dropped;
/// anything unrecognised or unterminated is kept as written rather than lost.
/// </summary>
public static class Hl7Escape
{
    public static string Decode(string raw, Hl7Delimiters delimiters)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var esc = delimiters.Escape;
        if (esc == '\0' || raw.IndexOf(esc) < 0)
        {
            return raw;
        }
        var sb = new StringBuilder(raw.Length);
        var i = 0;
        while (i < raw.Length)
        {
            var c = raw[i];
            var close = c == esc ? raw.IndexOf(esc, i + 1) : -1;
            if (close < 0)
            {
                sb.Append(c);
                i++;
                continue;
            }
            var body = raw.AsSpan(i + 1, close - i - 1);
            if (!TryAppend(sb, body, delimiters))
            {
                // Not an escape we know: keep the escape character literally and go on, so a stray
                // backslash (common in paths and free text) does not swallow the text after it.
                sb.Append(c);
                i++;
                continue;
            }
            i = close + 1;
        }
        return sb.ToString();
    }

    private static bool TryAppend(StringBuilder sb, ReadOnlySpan<char> body, Hl7Delimiters d)
    {
        if (body.Length == 0)
        {
            return false;
        }
        if (body.Length == 1)
        {
            char? replacement = body[0] switch
            {
                'F' => d.Field,
                'S' => d.Component,
                'T' => d.Subcomponent,
                'R' => d.Repetition,
                'E' => d.Escape,
                'P' when d.Truncation != '\0' => d.Truncation,
                'H' or 'N' => '\0',
                _ => null,
            };
            if (replacement is not { } r)
            {
                return false;
            }
            if (r != '\0')
            {
                sb.Append(r);
            }
            return true;
        }
        switch (body[0])
        {
            case 'X':
                return AppendHex(sb, body[1..]);
            case 'C' or 'M' when IsHex(body[1..]):
                return true;
            case 'Z':
                // Locally defined escape: its meaning is private to the sender; keep it verbatim.
                return false;
            case '.':
                var command = body[1..];
                if (command.StartsWith("br"))
                {
                    sb.Append('\n');
                    return true;
                }
                if (command.StartsWith("sp"))
                {
                    var n = command.Length > 2 && int.TryParse(command[2..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var lines) ? Math.Clamp(lines, 1, 100) : 1;
                    sb.Append('\n', n);
                    return true;
                }
                return command.StartsWith("in") || command.StartsWith("ti") || command.StartsWith("sk")
                    || command.StartsWith("ce") || command.SequenceEqual("fi") || command.SequenceEqual("nf");
            default:
                return false;
        }
    }

    private static readonly System.Buffers.SearchValues<char> s_hex = System.Buffers.SearchValues.Create("0123456789ABCDEFabcdef");

    private static bool IsHex(ReadOnlySpan<char> s) => s.Length > 0 && s.Length % 2 == 0 && !s.ContainsAnyExcept(s_hex);

    private static bool AppendHex(StringBuilder sb, ReadOnlySpan<char> hex)
    {
        if (!IsHex(hex))
        {
            return false;
        }
        var bytes = Convert.FromHexString(hex);
        try
        {
            sb.Append(Hl7Charsets.StrictUtf8.GetString(bytes));
        }
        catch (DecoderFallbackException)
        {
            sb.Append(Encoding.Latin1.GetString(bytes));
        }
        return true;
    }

    /// <summary>
    /// Escapes <paramref name="text"/> for use as a value: the escape character first, then each
    /// delimiter; CR and LF as \X0D\ and \X0A\ so the value cannot break a segment.
    /// </summary>
    public static string Encode(string text, Hl7Delimiters delimiters)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!NeedsEscaping(text, delimiters))
        {
            return text;
        }
        var esc = delimiters.Escape == '\0' ? '\\' : delimiters.Escape;
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            string? code = c == '\0' ? null
                : c == esc ? "E"
                : c == delimiters.Field ? "F"
                : c == delimiters.Component ? "S"
                : c == delimiters.Subcomponent ? "T"
                : c == delimiters.Repetition ? "R"
                : c == delimiters.Truncation ? "P"
                : c == '\r' ? "X0D"
                : c == '\n' ? "X0A"
                : null;
            if (code is null)
            {
                sb.Append(c);
            }
            else
            {
                sb.Append(esc).Append(code).Append(esc);
            }
        }
        return sb.ToString();
    }

    private static bool NeedsEscaping(string text, Hl7Delimiters d)
    {
        foreach (var c in text)
        {
            if (c is '\r' or '\n' || d.IsDelimiter(c))
            {
                return true;
            }
        }
        return false;
    }
}
