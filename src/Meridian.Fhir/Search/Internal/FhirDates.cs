namespace Meridian.Fhir.Search.Internal;

/// <summary>
/// Turns FHIR date, dateTime and instant text into the UTC instant range its precision
/// denotes. Values without a zone are read as UTC: the spec leaves their zone to the server,
/// and a fixed choice keeps indexing deterministic across hosts.
/// </summary>
internal static class FhirDates
{
    public static bool TryParseRange(string? text, out DateTimeOffset low, out DateTimeOffset high)
    {
        low = default;
        high = default;
        if (text is null || text.Length < 4)
        {
            return false;
        }
        var s = text.AsSpan();
        if (!TryDigits(s, 0, 4, out var year) || year < 1)
        {
            return false;
        }
        int month = 1, day = 1, hour = 0, minute = 0, second = 0;
        long fractionTicks = 0;
        var pos = 4;
        Precision precision;
        if (pos == s.Length)
        {
            precision = Precision.Year;
        }
        else if (s[pos] != '-' || !TryDigits(s, pos + 1, 2, out month) || month is < 1 or > 12)
        {
            return false;
        }
        else if ((pos = 7) == s.Length)
        {
            precision = Precision.Month;
        }
        else if (s[pos] != '-' || !TryDigits(s, pos + 1, 2, out day) || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }
        else if ((pos = 10) == s.Length)
        {
            precision = Precision.Day;
        }
        else
        {
            if (s[pos] != 'T' || !TryDigits(s, pos + 1, 2, out hour) || s.Length < pos + 6 || s[pos + 3] != ':'
                || !TryDigits(s, pos + 4, 2, out minute) || hour > 23 || minute > 59)
            {
                return false;
            }
            pos += 6;
            precision = Precision.Minute;
            if (pos < s.Length && s[pos] == ':')
            {
                if (!TryDigits(s, pos + 1, 2, out second) || second > 59)
                {
                    return false;
                }
                pos += 3;
                precision = Precision.Second;
                if (pos < s.Length && s[pos] == '.')
                {
                    var start = ++pos;
                    while (pos < s.Length && char.IsAsciiDigit(s[pos]))
                    {
                        pos++;
                    }
                    var digits = pos - start;
                    if (digits == 0)
                    {
                        return false;
                    }
                    // Ticks are 100 ns: keep up to 7 digits; more precision than that is noise.
                    var used = Math.Min(digits, 7);
                    for (var i = 0; i < used; i++)
                    {
                        fractionTicks = fractionTicks * 10 + (s[start + i] - '0');
                    }
                    for (var i = used; i < 7; i++)
                    {
                        fractionTicks *= 10;
                    }
                    precision = Precision.Fraction + used;
                }
            }
        }
        var offset = TimeSpan.Zero;
        if (pos < s.Length)
        {
            if (precision < Precision.Minute || !TryZone(s[pos..], out offset))
            {
                return false;
            }
        }
        var localLow = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(fractionTicks);
        var lowTicks = localLow.Ticks - offset.Ticks;
        var span = precision switch
        {
            Precision.Year => (year == 9999 ? DateTime.MaxValue.Ticks + 1 : new DateTime(year + 1, 1, 1).Ticks) - localLow.Ticks,
            Precision.Month => (year == 9999 && month == 12 ? DateTime.MaxValue.Ticks + 1 : localLow.AddMonths(1).Ticks) - localLow.Ticks,
            Precision.Day => TimeSpan.TicksPerDay,
            Precision.Minute => TimeSpan.TicksPerMinute,
            Precision.Second => TimeSpan.TicksPerSecond,
            _ => Pow10(7 - (precision - Precision.Fraction)),
        };
        var highTicks = lowTicks + span - 1;
        low = FromTicks(lowTicks);
        high = FromTicks(highTicks);
        return true;
    }

    private static DateTimeOffset FromTicks(long ticks) =>
        ticks <= DateTimeOffset.MinValue.Ticks ? DateTimeOffset.MinValue
        : ticks >= DateTimeOffset.MaxValue.Ticks ? DateTimeOffset.MaxValue
        : new DateTimeOffset(ticks, TimeSpan.Zero);

    private static bool TryZone(ReadOnlySpan<char> s, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        if (s is "Z")
        {
            return true;
        }
        if (s.Length != 6 || s[0] is not ('+' or '-') || s[3] != ':' || !TryDigits(s, 1, 2, out var h) || !TryDigits(s, 4, 2, out var m)
            || h > 14 || m > 59)
        {
            return false;
        }
        offset = new TimeSpan(h, m, 0);
        if (s[0] == '-')
        {
            offset = -offset;
        }
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length)
        {
            return false;
        }
        for (var i = start; i < start + count; i++)
        {
            var c = s[i];
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static long Pow10(int n)
    {
        long r = 1;
        for (var i = 0; i < n; i++)
        {
            r *= 10;
        }
        return r;
    }

    private enum Precision { Year, Month, Day, Minute, Second, Fraction }
}
