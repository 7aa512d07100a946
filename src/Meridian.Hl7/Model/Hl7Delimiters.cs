namespace Meridian.Hl7;

/// <summary>
/// The separators a message declares in MSH-1 and MSH-2 (or FHS/BHS-1/2). Any characters are
/// allowed; a delimiter the sender left out is <c>'\0'</c>, which never occurs in text, so
/// splitting on it is a no-op instead of a special case.
/// </summary>
public readonly record struct Hl7Delimiters(char Field, char Component, char Repetition, char Escape, char Subcomponent, char Truncation = '\0')
{
    /// <summary><c>|^~\&amp;</c>, the delimiters nearly every sender uses.</summary>
    public static Hl7Delimiters Default { get; } = new('|', '^', '~', '\\', '&');

    /// <summary>MSH-2 as written: component, repetition, escape, subcomponent, then truncation (v2.7+) when present.</summary>
    public string EncodingCharacters
    {
        get
        {
            Span<char> chars = [Component, Repetition, Escape, Subcomponent, Truncation];
            var length = chars.IndexOf('\0');
            return new string(length < 0 ? chars : chars[..length]);
        }
    }

    /// <summary>True when <paramref name="c"/> is one of the declared delimiters.</summary>
    public bool IsDelimiter(char c) =>
        c != '\0' && (c == Field || c == Component || c == Repetition || c == Escape || c == Subcomponent || c == Truncation);
}
