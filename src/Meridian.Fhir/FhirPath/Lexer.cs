using System.Globalization;
using System.Text;

namespace Meridian.Fhir.FhirPath;

internal enum TokenKind
{
    End,
    Identifier,          // plain identifier or keyword (and, or, div, true, ...)
    DelimitedIdentifier, // `x`
    String,
    Integer,
    Decimal,
    LongInteger,         // 1L
    DateTime,            // @2015-02-04T14:34:28Z, @2015, @2015T
    Time,                // @T14:34
    Constant,            // %x, %'x', %`x`
    Variable,            // $this, $index, $total
    Symbol,              // operators and punctuation
}

internal readonly record struct Token(TokenKind Kind, string Text, int Position);

/// <summary>Splits an expression into tokens; comments and whitespace are dropped.</summary>
internal static class Lexer
{
    public static List<Token> Tokenize(string s)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            SkipTrivia(s, ref i);
            if (i >= s.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", s.Length));
                return tokens;
            }
            var start = i;
            var c = s[i];
            if (char.IsAsciiLetter(c) || c == '_')
            {
                while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Identifier, s[start..i], start));
            }
            else if (char.IsAsciiDigit(c))
            {
                while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                var kind = TokenKind.Integer;
                if (i + 1 < s.Length && s[i] == '.' && char.IsAsciiDigit(s[i + 1]))
                {
                    i++;
                    while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
                    kind = TokenKind.Decimal;
                }
                else if (i < s.Length && s[i] == 'L')
                {
                    tokens.Add(new Token(TokenKind.LongInteger, s[start..i], start));
                    i++;
                    continue;
                }
                tokens.Add(new Token(kind, s[start..i], start));
            }
            else if (c is '\'' or '`')
            {
                tokens.Add(new Token(c == '\'' ? TokenKind.String : TokenKind.DelimitedIdentifier, ReadQuoted(s, ref i, c), start));
            }
            else if (c == '@')
            {
                i++;
                var time = i < s.Length && s[i] == 'T';
                if (time) i++;
                var bodyStart = i;
                while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] is '-' or ':' or '.' or 'T' or 'Z' or '+'))
                {
                    // '.' only continues the literal inside fractional seconds, not as a member access.
                    if (s[i] == '.' && !(i + 1 < s.Length && char.IsAsciiDigit(s[i + 1]))) break;
                    // '+' / '-' after a complete value might be an operator: only accept an offset "hh:mm".
                    if ((s[i] == '+' || s[i] == '-') && i > bodyStart + 7 && !LooksLikeOffset(s, i)) break;
                    i++;
                }
                if (i == bodyStart)
                {
                    throw new FhirPathException("Invalid date/time literal", start);
                }
                tokens.Add(new Token(time ? TokenKind.Time : TokenKind.DateTime, s[bodyStart..i], start));
            }
            else if (c is '%' or '$')
            {
                i++;
                string name;
                if (i < s.Length && s[i] is '\'' or '`')
                {
                    name = ReadQuoted(s, ref i, s[i]);
                }
                else
                {
                    var n0 = i;
                    while (i < s.Length && (char.IsAsciiLetterOrDigit(s[i]) || s[i] is '_' or '-')) i++;
                    name = s[n0..i];
                }
                if (name.Length == 0)
                {
                    throw new FhirPathException($"Expected a name after '{c}'", start);
                }
                tokens.Add(new Token(c == '%' ? TokenKind.Constant : TokenKind.Variable, name, start));
            }
            else
            {
                var two = i + 1 < s.Length ? s.Substring(i, 2) : null;
                if (two is "<=" or ">=" or "!=" or "!~")
                {
                    tokens.Add(new Token(TokenKind.Symbol, two, start));
                    i += 2;
                }
                else if ("+-*/&|=~<>()[]{},.".Contains(c))
                {
                    tokens.Add(new Token(TokenKind.Symbol, c.ToString(), start));
                    i++;
                }
                else
                {
                    throw new FhirPathException($"Unexpected character '{c}'", start);
                }
            }
        }
    }

    private static bool LooksLikeOffset(string s, int i) =>
        i + 6 <= s.Length && char.IsAsciiDigit(s[i + 1]) && char.IsAsciiDigit(s[i + 2]) && s[i + 3] == ':'
        && char.IsAsciiDigit(s[i + 4]) && char.IsAsciiDigit(s[i + 5]);

    private static void SkipTrivia(string s, ref int i)
    {
        while (i < s.Length)
        {
            if (char.IsWhiteSpace(s[i]))
            {
                i++;
            }
            else if (s[i] == '/' && i + 1 < s.Length && s[i + 1] == '/')
            {
                while (i < s.Length && s[i] != '\n') i++;
            }
            else if (s[i] == '/' && i + 1 < s.Length && s[i + 1] == '*')
            {
                var end = s.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw new FhirPathException("Unterminated comment", i);
                }
                i = end + 2;
            }
            else
            {
                return;
            }
        }
    }

    private static string ReadQuoted(string s, ref int i, char quote)
    {
        var start = i;
        i++;
        var sb = new StringBuilder();
        while (i < s.Length && s[i] != quote)
        {
            if (s[i] == '\\')
            {
                i++;
                if (i >= s.Length) break;
                var e = s[i];
                switch (e)
                {
                    case 't': sb.Append('\t'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u':
                        if (i + 4 >= s.Length || !int.TryParse(s.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var cp))
                        {
                            throw new FhirPathException("Invalid unicode escape", i - 1);
                        }
                        sb.Append((char)cp);
                        i += 4;
                        break;
                    default: sb.Append(e); break; // \' \" \` \\ \/
                }
                i++;
            }
            else
            {
                sb.Append(s[i++]);
            }
        }
        if (i >= s.Length)
        {
            throw new FhirPathException("Unterminated " + (quote == '\'' ? "string" : "delimited identifier"), start);
        }
        i++;
        return sb.ToString();
    }
}
