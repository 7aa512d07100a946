namespace Meridian.Fhir.Validation;

/// <summary>
/// Hand-written checks for date, dateTime, instant and time that accept exactly what the
/// spec's regexes accept, plus the calendar (no 2023-02-30). They run on every date in every
/// resource, so they allocate nothing unless a value is wrong.
/// </summary>
internal static class DateTimeFormats
{
    /// <summary>YYYY, YYYY-MM or YYYY-MM-DD.</summary>
    public static string? CheckDate(string s) => Check(s, allowTime: false, requireTime: false);

    /// <summary>A date, or a full date with a time and a timezone.</summary>
    public static string? CheckDateTime(string s) => Check(s, allowTime: true, requireTime: false);

    /// <summary>A full date with a time and a timezone.</summary>
    public static string? CheckInstant(string s) => Check(s, allowTime: true, requireTime: true);

    /// <summary>hh:mm:ss with optional fraction, no timezone.</summary>
    public static string? CheckTime(string s)
    {
        var pos = 0;
        return ParseTime(s, ref pos) && pos == s.Length ? null : "is not a valid time (hh:mm:ss[.fff])";
    }

    private static string? Check(string s, bool allowTime, bool requireTime)
    {
        if (s.Length < 4 || !Digits(s, 0, 4))
        {
            return "does not start with a four-digit year";
        }
        var year = Number(s, 0, 4);
        if (year == 0)
        {
            return "has year 0000";
        }
        if (s.Length == 4)
        {
            return requireTime ? MissingTime : null;
        }
        if (s.Length < 7 || s[4] != '-' || !Digits(s, 5, 2))
        {
            return "has no valid month (YYYY-MM)";
        }
        var month = Number(s, 5, 2);
        if (month is < 1 or > 12)
        {
            return "has a month outside 01-12";
        }
        if (s.Length == 7)
        {
            return requireTime ? MissingTime : null;
        }
        if (s.Length < 10 || s[7] != '-' || !Digits(s, 8, 2))
        {
            return "has no valid day (YYYY-MM-DD)";
        }
        var day = Number(s, 8, 2);
        if (day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return "is not a real calendar date";
        }
        if (s.Length == 10)
        {
            return requireTime ? MissingTime : null;
        }
        if (!allowTime)
        {
            return "has content after the day; a date has no time";
        }
        if (s[10] != 'T')
        {
            return "has no 'T' between date and time";
        }
        var pos = 11;
        if (!ParseTime(s, ref pos))
        {
            return "has no valid time (hh:mm:ss[.fff])";
        }
        if (pos == s.Length)
        {
            return "has a time but no timezone (Z or +hh:mm)";
        }
        if (s[pos] == 'Z')
        {
            return pos + 1 == s.Length ? null : "has content after the timezone";
        }
        if (s[pos] is not ('+' or '-') || s.Length != pos + 6 || !Digits(s, pos + 1, 2) || s[pos + 3] != ':' || !Digits(s, pos + 4, 2))
        {
            return "has no valid timezone (Z or +hh:mm)";
        }
        var tzHour = Number(s, pos + 1, 2);
        var tzMinute = Number(s, pos + 4, 2);
        var validZone = (tzHour <= 13 && tzMinute <= 59) || (tzHour == 14 && tzMinute == 0);
        return validZone ? null : "has a timezone offset outside -14:00..+14:00";
    }

    private const string MissingTime = "needs a full date, time and timezone (an instant)";

    private static bool ParseTime(string s, ref int pos)
    {
        var p = pos;
        if (s.Length < p + 8 || !Digits(s, p, 2) || s[p + 2] != ':' || !Digits(s, p + 3, 2) || s[p + 5] != ':' || !Digits(s, p + 6, 2))
        {
            return false;
        }
        // Seconds may be 60: the regex admits leap seconds.
        if (Number(s, p, 2) > 23 || Number(s, p + 3, 2) > 59 || Number(s, p + 6, 2) > 60)
        {
            return false;
        }
        p += 8;
        if (p < s.Length && s[p] == '.')
        {
            var start = ++p;
            while (p < s.Length && char.IsAsciiDigit(s[p]))
            {
                p++;
            }
            if (p == start)
            {
                return false;
            }
        }
        pos = p;
        return true;
    }

    private static bool Digits(string s, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }
        }
        return true;
    }

    private static int Number(string s, int start, int count)
    {
        var n = 0;
        for (var i = start; i < start + count; i++)
        {
            n = (n * 10) + (s[i] - '0');
        }
        return n;
    }
}
