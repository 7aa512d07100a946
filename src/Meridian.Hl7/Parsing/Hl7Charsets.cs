using System.Text;

namespace Meridian.Hl7;

/// <summary>
/// MSH-18 (HL7 table 0211) to .NET encodings, and decoding a payload's bytes with them. Decoding
/// is strict, so bytes that are not valid in the declared set are noticed: the payload is then
/// read as ISO-8859-1, which maps every byte to one character and so still writes back byte for
/// byte, and a warning says so.
/// </summary>
public static class Hl7Charsets
{
    internal static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The encoding for one MSH-18 code, or null when the code is unknown or the platform lacks it.</summary>
    public static Encoding? ForCode(string code)
    {
        var c = (code ?? "").Trim().ToUpperInvariant();
        return c switch
        {
            "" or "ASCII" or "ISO IR6" => Encoding.ASCII,
            "8859/1" or "ISO IR100" => Encoding.Latin1,
            "UNICODE UTF-8" or "UNICODE" or "UTF-8" or "UTF8" => Utf8,
            "UNICODE UTF-16" => Encoding.Unicode,
            "UNICODE UTF-32" => Encoding.UTF32,
            "8859/2" => CodePage(28592),
            "8859/3" => CodePage(28593),
            "8859/4" => CodePage(28594),
            "8859/5" => CodePage(28595),
            "8859/6" => CodePage(28596),
            "8859/7" => CodePage(28597),
            "8859/8" => CodePage(28598),
            "8859/9" => CodePage(28599),
            "8859/15" => CodePage(28605),
            "ISO IR14" or "ISO IR87" or "ISO IR159" or "JIS X 0202" or "ISO 2022-1994" or "JAS2020" => CodePage(50220),
            "GB 18030-2000" => CodePage(54936),
            "KS X 1001" => CodePage(51949),
            "BIG-5" => CodePage(950),
            _ => null,
        };
    }

    private static Encoding? CodePage(int codePage) =>
        CodePagesEncodingProvider.Instance.GetEncoding(codePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    /// <summary>
    /// Decodes a payload: a byte-order mark wins, then MSH-18 (its first repetition), then
    /// <paramref name="fallback"/> (UTF-8 when null) for payloads that declare nothing.
    /// </summary>
    public static (string Text, Encoding Encoding) Decode(ReadOnlySpan<byte> bytes, Encoding? fallback, List<Hl7Issue> issues)
    {
        ArgumentNullException.ThrowIfNull(issues);
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || LooksUtf16(bytes, littleEndian: true))
        {
            return DecodeWith(bytes, Encoding.Unicode, issues, "UTF-16LE");
        }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || LooksUtf16(bytes, littleEndian: false))
        {
            return DecodeWith(bytes, Encoding.BigEndianUnicode, issues, "UTF-16BE");
        }
        var declared = DeclaredCharset(bytes);
        Encoding encoding;
        string name;
        if (declared.Length == 0)
        {
            encoding = fallback ?? Utf8;
            name = encoding.WebName;
        }
        else if (ForCode(declared) is { } known)
        {
            encoding = known;
            name = declared;
        }
        else
        {
            encoding = fallback ?? Utf8;
            name = encoding.WebName;
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.Charset, $"MSH-18 '{declared}' is not a character set this parser knows; decoded as {name}", "MSH-18"));
        }
        if (encoding.CodePage == Encoding.ASCII.CodePage && bytes.ContainsAnyInRange((byte)0x80, (byte)0xFF))
        {
            // ASCII (declared or by default) cannot hold these bytes; senders that say ASCII mostly mean UTF-8.
            if (declared.Length > 0)
            {
                issues.Add(Hl7Issue.Warning(Hl7IssueCodes.Charset, $"MSH-18 says {declared} but the message has 8-bit bytes; read as UTF-8", "MSH-18"));
            }
            return DecodeWith(bytes, Utf8, issues, "UTF-8");
        }
        return DecodeWith(bytes, encoding, issues, name);
    }

    private static (string, Encoding) DecodeWith(ReadOnlySpan<byte> bytes, Encoding encoding, List<Hl7Issue> issues, string name)
    {
        if (encoding.CodePage == Encoding.Latin1.CodePage || encoding.CodePage == Encoding.ASCII.CodePage)
        {
            // Every byte is one character: nothing can fail, and ASCII text reads the same in Latin-1.
            return (Encoding.Latin1.GetString(bytes), encoding.CodePage == Encoding.ASCII.CodePage ? Encoding.Latin1 : encoding);
        }
        var strict = encoding.CodePage == Utf8.CodePage ? StrictUtf8 : encoding;
        try
        {
            return (strict.GetString(bytes), encoding);
        }
        catch (DecoderFallbackException)
        {
            issues.Add(Hl7Issue.Warning(Hl7IssueCodes.Charset, $"the bytes are not valid {name}; read as ISO-8859-1", "MSH-18"));
            return (Encoding.Latin1.GetString(bytes), Encoding.Latin1);
        }
    }

    private static bool LooksUtf16(ReadOnlySpan<byte> b, bool littleEndian) =>
        b.Length >= 6 && (littleEndian
            ? b[0] == 'M' && b[1] == 0 && b[2] == 'S' && b[3] == 0 && b[4] == 'H' && b[5] == 0
            : b[0] == 0 && b[1] == 'M' && b[2] == 0 && b[3] == 'S' && b[4] == 0 && b[5] == 'H');

    /// <summary>MSH-18's first repetition, read from the raw bytes (the header itself is always ASCII).</summary>
    internal static string DeclaredCharset(ReadOnlySpan<byte> bytes)
    {
        var start = bytes.IndexOf("MSH"u8);
        if (start < 0 || start + 8 > bytes.Length)
        {
            return "";
        }
        var segment = bytes[start..];
        var end = segment.IndexOfAny((byte)'\r', (byte)'\n');
        if (end >= 0)
        {
            segment = segment[..end];
        }
        if (segment.Length < 5)
        {
            return "";
        }
        var fieldSep = segment[3];
        var encodingEnd = segment[4..].IndexOf(fieldSep);
        var repetition = encodingEnd >= 2 ? segment[5] : (byte)0;
        // MSH-18 follows the 17th field separator (the first one is MSH-1 itself).
        var field = 1;
        var pos = 3;
        while (field < 17)
        {
            var next = segment[(pos + 1)..].IndexOf(fieldSep);
            if (next < 0)
            {
                return "";
            }
            pos += next + 1;
            field++;
        }
        var rest = segment[(pos + 1)..];
        var stop = rest.IndexOf(fieldSep);
        var value = stop < 0 ? rest : rest[..stop];
        if (repetition != 0 && value.IndexOf(repetition) is var r and >= 0)
        {
            value = value[..r];
        }
        return value.ContainsAnyInRange((byte)0x80, (byte)0xFF) ? "" : Encoding.ASCII.GetString(value).Trim();
    }
}
