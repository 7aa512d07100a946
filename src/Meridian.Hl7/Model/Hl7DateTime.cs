using System.Globalization;

namespace Meridian.Hl7;

/// <summary>How much of an HL7 date/time was given.</summary>
public enum Hl7DatePrecision
{
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    FractionalSecond,
}

/// <summary>
/// An HL7 DT, TS or DTM value (YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]) with its precision.
/// Without a zone the sender's local time is meant; <see cref="HasOffset"/> is then false and
/// <see cref="Value"/> carries offset zero, so callers decide what "local" means for the sender.
/// </summary>
public readonly record struct Hl7DateTime(DateTimeOffset Value, Hl7DatePrecision Precision, bool HasOffset)
{
    public static bool TryParse(string? text, out Hl7DateTime value) => TryParse((text ?? "").AsSpan(), out value);

    public static bool TryParse(ReadOnlySpan<char> text, out Hl7DateTime value)
    {
        value = default;
        var s = text.Trim();
        if (s.Length < 4)
        {
            return false;
        }
        // TS: "time^degree of precision" arrives here as its first component already; a stray "^" is cut defensively.
        var offset = TimeSpan.Zero;
        var hasOffset = false;
        var sign = s.IndexOfAny('+', '-');
        if (sign >= 0)
        {
            var zone = s[(sign + 1)..];
            if (zone.Length != 4 || !int.TryParse(zone[..2], NumberStyles.None, CultureInfo.InvariantCulture, out var zh)
                || !int.TryParse(zone[2..], NumberStyles.None, CultureInfo.InvariantCulture, out var zm) || zh > 14 || zm > 59)
            {
                return false;
            }
            offset = new TimeSpan(zh, zm, 0) * (s[sign] == '-' ? -1 : 1);
            hasOffset = true;
            s = s[..sign];
        }
        var fraction = 0L;
        var hasFraction = false;
        var dot = s.IndexOf('.');
        if (dot >= 0)
        {
            var digits = s[(dot + 1)..];
            if (dot != 14 || digits.Length is 0 or > 7 || digits.ContainsAnyExceptInRange('0', '9'))
            {
                return false;
            }
            fraction = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) * (long)Math.Pow(10, 7 - digits.Length);
            hasFraction = true;
            s = s[..dot];
        }
        if (s.ContainsAnyExceptInRange('0', '9') || s.Length is not (4 or 6 or 8 or 10 or 12 or 14))
        {
            return false;
        }
        var year = Two(s, 0) * 100 + Two(s, 2);
        int month = s.Length >= 6 ? Two(s, 4) : 1, day = s.Length >= 8 ? Two(s, 6) : 1, hour = Two(s, 8), minute = Two(s, 10), second = Two(s, 12);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        var precision = hasFraction ? Hl7DatePrecision.FractionalSecond : s.Length switch
        {
            4 => Hl7DatePrecision.Year,
            6 => Hl7DatePrecision.Month,
            8 => Hl7DatePrecision.Day,
            10 => Hl7DatePrecision.Hour,
            12 => Hl7DatePrecision.Minute,
            _ => Hl7DatePrecision.Second,
        };
        value = new Hl7DateTime(new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(fraction), precision, hasOffset);
        return true;
    }

    /// <summary>Two digits at <paramref name="start"/>, or 0 past the end (a missing part of a shorter value).</summary>
    private static int Two(ReadOnlySpan<char> s, int start) => start + 1 < s.Length ? (s[start] - '0') * 10 + s[start + 1] - '0' : 0;

    /// <summary>Writes the value back in HL7 form at its precision (offset only when it had one).</summary>
    public string ToHl7()
    {
        var v = Value;
        var text = Precision switch
        {
            Hl7DatePrecision.Year => v.ToString("yyyy", CultureInfo.InvariantCulture),
            Hl7DatePrecision.Month => v.ToString("yyyyMM", CultureInfo.InvariantCulture),
            Hl7DatePrecision.Day => v.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            Hl7DatePrecision.Hour => v.ToString("yyyyMMddHH", CultureInfo.InvariantCulture),
            Hl7DatePrecision.Minute => v.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture),
            Hl7DatePrecision.Second => v.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture),
            _ => v.ToString("yyyyMMddHHmmss.ffff", CultureInfo.InvariantCulture),
        };
        return HasOffset && Precision >= Hl7DatePrecision.Hour ? text + v.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal) : text;
    }

    /// <summary>An HL7 DTM for a point in time, to the second, with its offset (as MSH-7 is written).</summary>
    public static string Format(DateTimeOffset time) => new Hl7DateTime(time, Hl7DatePrecision.Second, true).ToHl7();

    public override string ToString() => ToHl7();
}
