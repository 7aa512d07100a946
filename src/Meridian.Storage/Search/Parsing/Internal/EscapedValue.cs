using System.Text;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>
/// Search value escaping (FHIR R4 §3.1.1.5.7): <c>\,</c> <c>\$</c> <c>\|</c> <c>\\</c>. Values are
/// split at unescaped separators first (comma for OR, <c>$</c> for composite components,
/// <c>|</c> inside token/quantity/reference values) and unescaped last, so an escaped
/// separator survives every level of splitting.
/// </summary>
internal static class EscapedValue
{
    /// <summary>Splits at each unescaped <paramref name="separator"/>; the parts stay escaped.</summary>
    public static List<string> Split(string value, char separator)
    {
        var parts = new List<string>(2);
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\')
            {
                i++; // the next character is literal, whatever it is
            }
            else if (c == separator)
            {
                parts.Add(value[start..i]);
                start = i + 1;
            }
        }
        parts.Add(value[start..]);
        return parts;
    }

    /// <summary>Removes the escaping backslashes; a backslash before any other character is kept as written.</summary>
    public static string Unescape(string value)
    {
        if (value.IndexOf('\\') < 0)
        {
            return value;
        }
        var sb = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && i + 1 < value.Length && value[i + 1] is ',' or '$' or '|' or '\\')
            {
                sb.Append(value[++i]);
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}
