using System.Globalization;
using System.Text.RegularExpressions;
using Meridian.Fhir.Model;

namespace Meridian.Fhir.Validation;

/// <summary>The primitive types with a hand-written check; <see cref="Other"/> falls back to the spec regex.</summary>
internal enum PrimitiveKind
{
    Other, Boolean, Integer, PositiveInt, UnsignedInt, Decimal, String, Markdown, Code, Id,
    Uri, Url, Canonical, Oid, Uuid, Date, DateTime, Instant, Time, Base64Binary, Xhtml,
}

/// <summary>
/// Value checks for FHIR primitives. Each hand-written check accepts exactly the language of
/// the type's regex in the spec, read with Java's regex semantics (the spec's reference
/// validator is Java: <c>\s</c> is [ \t\n\x0B\f\r], so a no-break space is not whitespace),
/// plus the semantic rules a regex cannot say (calendar dates, 32-bit ranges, base64 padding).
/// They allocate only to describe a failure.
/// </summary>
internal static class PrimitiveFormats
{
    public static PrimitiveKind KindOf(string typeName) => typeName switch
    {
        "boolean" => PrimitiveKind.Boolean,
        "integer" => PrimitiveKind.Integer,
        "positiveInt" => PrimitiveKind.PositiveInt,
        "unsignedInt" => PrimitiveKind.UnsignedInt,
        "decimal" => PrimitiveKind.Decimal,
        "string" => PrimitiveKind.String,
        "markdown" => PrimitiveKind.Markdown,
        "code" => PrimitiveKind.Code,
        "id" => PrimitiveKind.Id,
        "uri" => PrimitiveKind.Uri,
        "url" => PrimitiveKind.Url,
        "canonical" => PrimitiveKind.Canonical,
        "oid" => PrimitiveKind.Oid,
        "uuid" => PrimitiveKind.Uuid,
        "date" => PrimitiveKind.Date,
        "dateTime" => PrimitiveKind.DateTime,
        "instant" => PrimitiveKind.Instant,
        "time" => PrimitiveKind.Time,
        "base64Binary" => PrimitiveKind.Base64Binary,
        "xhtml" => PrimitiveKind.Xhtml,
        _ => PrimitiveKind.Other,
    };

    /// <summary>The JSON kind a value of this primitive must have.</summary>
    public static ValueKind JsonKindOf(PrimitiveKind kind) => kind switch
    {
        PrimitiveKind.Boolean => ValueKind.Boolean,
        PrimitiveKind.Integer or PrimitiveKind.PositiveInt or PrimitiveKind.UnsignedInt or PrimitiveKind.Decimal => ValueKind.Number,
        _ => ValueKind.String,
    };

    /// <summary>Null when <paramref name="s"/> is a valid value, else what is wrong (to follow "The value ...").</summary>
    public static string? Check(PrimitiveKind kind, string s, Regex? fallback) => kind switch
    {
        PrimitiveKind.Boolean => s is "true" or "false" ? null : "is not true or false",
        PrimitiveKind.Integer => CheckInteger(s, allowSign: true, min: int.MinValue),
        PrimitiveKind.PositiveInt => CheckInteger(s, allowSign: false, min: 1),
        PrimitiveKind.UnsignedInt => CheckInteger(s, allowSign: false, min: 0),
        PrimitiveKind.Decimal => IsDecimal(s) ? null : "is not a valid decimal",
        PrimitiveKind.String or PrimitiveKind.Markdown => CheckString(s),
        PrimitiveKind.Code => CheckCode(s),
        PrimitiveKind.Id => IsId(s) ? null : "is not a valid id (1-64 characters A-Z a-z 0-9 - .)",
        PrimitiveKind.Uri or PrimitiveKind.Url or PrimitiveKind.Canonical => CheckUri(s),
        PrimitiveKind.Oid => IsOid(s) ? null : "is not a valid oid (urn:oid:0.1.2...)",
        PrimitiveKind.Uuid => IsUuid(s) ? null : "is not a valid uuid (urn:uuid: + lower-case 8-4-4-4-12 hex)",
        PrimitiveKind.Date => DateTimeFormats.CheckDate(s),
        PrimitiveKind.DateTime => DateTimeFormats.CheckDateTime(s),
        PrimitiveKind.Instant => DateTimeFormats.CheckInstant(s),
        PrimitiveKind.Time => DateTimeFormats.CheckTime(s),
        PrimitiveKind.Base64Binary => CheckBase64(s),
        PrimitiveKind.Xhtml => s.AsSpan().TrimStart().StartsWith("<div", StringComparison.Ordinal) ? null : "is not an XHTML <div> element",
        _ => fallback is null || fallback.IsMatch(s) ? null : "does not match the type's regex",
    };

    /// <summary>Java's <c>\s</c>: the whitespace the spec's regexes mean.</summary>
    public static bool IsRegexWhitespace(char c) => c is ' ' or '\t' or '\n' or '\x0B' or '\f' or '\r';

    private static string? CheckInteger(string s, bool allowSign, int min)
    {
        var i = 0;
        if (allowSign && s.Length > 0 && s[0] == '-')
        {
            i = 1;
        }
        if (i == s.Length || !char.IsAsciiDigit(s[i]) || (s[i] == '0' && s.Length > i + 1))
        {
            return "is not a valid integer";
        }
        for (var j = i; j < s.Length; j++)
        {
            if (!char.IsAsciiDigit(s[j]))
            {
                return "is not a valid integer";
            }
        }
        if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) || v > int.MaxValue || v < min)
        {
            return min switch
            {
                1 => "is outside the range of a positiveInt (1..2147483647)",
                0 => "is outside the range of an unsignedInt (0..2147483647)",
                _ => "is outside the range of a 32-bit integer",
            };
        }
        return null;
    }

    private static bool IsDecimal(string s)
    {
        var i = 0;
        if (s.Length > 0 && s[0] == '-')
        {
            i++;
        }
        if (i == s.Length || !char.IsAsciiDigit(s[i]))
        {
            return false;
        }
        if (s[i] == '0')
        {
            i++;
        }
        else
        {
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
        }
        if (i < s.Length && s[i] == '.')
        {
            var start = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            if (i == start)
            {
                return false;
            }
        }
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-')
            {
                i++;
            }
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            if (i == start)
            {
                return false;
            }
        }
        return i == s.Length;
    }

    // [ \r\n\t\S]+ : not empty, and no vertical tab or form feed.
    private static string? CheckString(string s)
    {
        if (s.Length == 0)
        {
            return "is empty; leave the element out instead";
        }
        return s.AsSpan().IndexOfAny('\x0B', '\f') >= 0 ? "contains a vertical tab or form feed" : null;
    }

    // [^\s]+(\s[^\s]+)* : not empty, no leading, trailing or doubled whitespace.
    private static string? CheckCode(string s)
    {
        if (s.Length == 0)
        {
            return "is empty; leave the element out instead";
        }
        if (IsRegexWhitespace(s[0]) || IsRegexWhitespace(s[^1]))
        {
            return "has leading or trailing whitespace";
        }
        for (var i = 1; i < s.Length; i++)
        {
            if (IsRegexWhitespace(s[i]) && IsRegexWhitespace(s[i - 1]))
            {
                return "has consecutive whitespace";
            }
        }
        return null;
    }

    private static bool IsId(string s)
    {
        if (s.Length is 0 or > 64)
        {
            return false;
        }
        foreach (var c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '.'))
            {
                return false;
            }
        }
        return true;
    }

    // \S* ; an empty string is still not allowed (FHIR JSON has no empty strings).
    private static string? CheckUri(string s)
    {
        if (s.Length == 0)
        {
            return "is empty; leave the element out instead";
        }
        foreach (var c in s)
        {
            if (IsRegexWhitespace(c))
            {
                return "contains whitespace";
            }
        }
        return null;
    }

    // urn:oid:[0-2](\.(0|[1-9][0-9]*))+
    private static bool IsOid(string s)
    {
        const string prefix = "urn:oid:";
        if (!s.StartsWith(prefix, StringComparison.Ordinal) || s.Length < prefix.Length + 3 || s[prefix.Length] is < '0' or > '2')
        {
            return false;
        }
        var i = prefix.Length + 1;
        var arcs = 0;
        while (i < s.Length)
        {
            if (s[i] != '.' || i + 1 == s.Length || !char.IsAsciiDigit(s[i + 1]))
            {
                return false;
            }
            i++;
            var start = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
            if (s[start] == '0' && i - start > 1)
            {
                return false;
            }
            arcs++;
        }
        return arcs > 0;
    }

    // urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}
    private static bool IsUuid(string s)
    {
        const string prefix = "urn:uuid:";
        if (s.Length != prefix.Length + 36 || !s.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }
        for (var i = 0; i < 36; i++)
        {
            var c = s[prefix.Length + i];
            var ok = i is 8 or 13 or 18 or 23 ? c == '-' : char.IsAsciiDigit(c) || c is >= 'a' and <= 'f';
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    // (\s*([0-9a-zA-Z\+/=]){4}\s*)+ and decodable: '=' only as final padding (at most two).
    // Whitespace is accepted anywhere (line-wrapped base64 wraps at multiples of 4 anyway).
    private static string? CheckBase64(string s)
    {
        var count = 0;
        var padding = 0;
        foreach (var c in s)
        {
            if (IsRegexWhitespace(c))
            {
                continue;
            }
            if (c == '=')
            {
                padding++;
            }
            else if (padding > 0 || !(char.IsAsciiLetterOrDigit(c) || c is '+' or '/'))
            {
                return padding > 0 ? "has data after '=' padding" : "contains a character that is not base64";
            }
            count++;
        }
        if (count == 0)
        {
            return "is empty; leave the element out instead";
        }
        return count % 4 != 0 || padding > 2 ? "is not valid base64 (length or padding)" : null;
    }
}
