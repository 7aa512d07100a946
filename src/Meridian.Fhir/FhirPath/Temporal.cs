using System.Globalization;
using System.Text;

namespace Meridian.Fhir.FhirPath;

/// <summary>How much of a date/time value is known.</summary>
public enum DateTimePrecision { Year, Month, Day, Hour, Minute, Second, Millisecond }

/// <summary>
/// The shared representation behind Date, DateTime and Time: components down to the precision,
/// plus an optional UTC offset. Partial values are first-class in FHIRPath, so comparison can
/// answer "unknown" (null) when the precisions differ.
/// </summary>
internal readonly record struct Temporal(int Year, int Month, int Day, int Hour, int Minute, int Second,
    int Millisecond, DateTimePrecision Precision, TimeSpan? Offset)
{
    /// <summary>Parses "YYYY[-MM[-DD]][Thh[:mm[:ss[.fff]]]][Z|(+|-)hh:mm]" (dates) or "hh[:mm[:ss[.fff]]]" (time only).</summary>
    public static bool TryParse(ReadOnlySpan<char> s, bool timeOnly, out Temporal value)
    {
        value = default;
        int year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, ms = 0;
        TimeSpan? offset = null;
        var p = DateTimePrecision.Year;
        var i = 0;
        if (!timeOnly)
        {
            if (!Digits(s, ref i, 4, out year)) return false;
            p = DateTimePrecision.Year;
            if (i < s.Length && s[i] == '-')
            {
                i++;
                if (!Digits(s, ref i, 2, out month) || month is < 1 or > 12) return false;
                p = DateTimePrecision.Month;
                if (i < s.Length && s[i] == '-')
                {
                    i++;
                    if (!Digits(s, ref i, 2, out day) || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
                    p = DateTimePrecision.Day;
                }
            }
            if (i < s.Length && s[i] == 'T')
            {
                i++;
                if (i == s.Length)
                {
                    // "@2015T" / "@2015-02-04T": a DateTime with date precision.
                    value = new Temporal(year, month, day, 0, 0, 0, 0, p, null);
                    return true;
                }
                if (p != DateTimePrecision.Day) return false;
            }
            else
            {
                if (i != s.Length && !(p == DateTimePrecision.Day && (s[i] == 'Z' || s[i] == '+' || s[i] == '-'))) return false;
                if (i == s.Length)
                {
                    value = new Temporal(year, month, day, 0, 0, 0, 0, p, null);
                    return true;
                }
            }
        }
        if (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            if (!Digits(s, ref i, 2, out hour) || hour > 23) return false;
            p = DateTimePrecision.Hour;
            if (i < s.Length && s[i] == ':')
            {
                i++;
                if (!Digits(s, ref i, 2, out minute) || minute > 59) return false;
                p = DateTimePrecision.Minute;
                if (i < s.Length && s[i] == ':')
                {
                    i++;
                    if (!Digits(s, ref i, 2, out second) || second > 59) return false;
                    p = DateTimePrecision.Second;
                    if (i < s.Length && s[i] == '.')
                    {
                        i++;
                        var start = i;
                        var frac = 0;
                        while (i < s.Length && char.IsAsciiDigit(s[i]))
                        {
                            if (i - start < 3) frac = frac * 10 + (s[i] - '0');
                            i++;
                        }
                        if (i == start) return false;
                        for (var k = i - start; k < 3; k++) frac *= 10;
                        ms = frac;
                        p = DateTimePrecision.Millisecond;
                    }
                }
            }
        }
        if (i < s.Length)
        {
            if (timeOnly) return false;
            if (s[i] == 'Z')
            {
                offset = TimeSpan.Zero;
                i++;
            }
            else if (s[i] is '+' or '-')
            {
                var neg = s[i] == '-';
                i++;
                if (!Digits(s, ref i, 2, out var oh) || i >= s.Length || s[i] != ':') return false;
                i++;
                if (!Digits(s, ref i, 2, out var om)) return false;
                offset = new TimeSpan(oh, om, 0);
                if (neg) offset = -offset;
            }
            if (i != s.Length) return false;
        }
        value = new Temporal(year, month, day, hour, minute, second, ms, p, offset);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, ref int i, int count, out int value)
    {
        value = 0;
        if (i + count > s.Length) return false;
        for (var k = 0; k < count; k++)
        {
            var c = s[i + k];
            if (!char.IsAsciiDigit(c)) return false;
            value = value * 10 + (c - '0');
        }
        i += count;
        return true;
    }

    public DateTime ToDateTime() => new(Year, Month, Day, Hour, Minute, Second, Millisecond, DateTimeKind.Unspecified);

    public static Temporal FromDateTime(DateTime d, DateTimePrecision p, TimeSpan? offset) =>
        new(d.Year, d.Month, d.Day, d.Hour, d.Minute, d.Second, d.Millisecond, p, offset);

    /// <summary>The same instant expressed in UTC (only meaningful with an offset and at least hour precision).</summary>
    public Temporal ToUtc()
    {
        if (Offset is not { } off || off == TimeSpan.Zero || Precision < DateTimePrecision.Hour)
        {
            return this;
        }
        return FromDateTime(ToDateTime() - off, Precision, TimeSpan.Zero);
    }

    /// <summary>Spec comparison: component by component; null when one value stops before the other
    /// and they agree so far. Seconds and milliseconds count as one precision.</summary>
    public static int? Compare(Temporal a, Temporal b, bool isTime)
    {
        if (a.Offset.HasValue && b.Offset.HasValue)
        {
            a = a.ToUtc();
            b = b.ToUtc();
        }
        else if (a.Offset.HasValue != b.Offset.HasValue && !isTime
            && a.Precision >= DateTimePrecision.Hour && b.Precision >= DateTimePrecision.Hour)
        {
            // One side is local time of unknown zone: the instants cannot be ordered.
            return null;
        }
        var start = isTime ? DateTimePrecision.Hour : DateTimePrecision.Year;
        for (var p = start; p <= DateTimePrecision.Second; p++)
        {
            var ha = a.Precision >= p;
            var hb = b.Precision >= p;
            if (!ha || !hb)
            {
                return ha == hb ? 0 : null;
            }
            if (p == DateTimePrecision.Second)
            {
                var sa = a.Second * 1000 + a.Millisecond;
                var sb = b.Second * 1000 + b.Millisecond;
                return sa.CompareTo(sb) switch { < 0 => -1, > 0 => 1, _ => 0 };
            }
            var c = a.Component(p).CompareTo(b.Component(p));
            if (c != 0)
            {
                return c < 0 ? -1 : 1;
            }
        }
        return 0;
    }

    public int Component(DateTimePrecision p) => p switch
    {
        DateTimePrecision.Year => Year,
        DateTimePrecision.Month => Month,
        DateTimePrecision.Day => Day,
        DateTimePrecision.Hour => Hour,
        DateTimePrecision.Minute => Minute,
        DateTimePrecision.Second => Second,
        _ => Millisecond,
    };

    public string Format(bool date, bool time)
    {
        var sb = new StringBuilder(30);
        var inv = CultureInfo.InvariantCulture;
        if (date)
        {
            sb.Append(Year.ToString("D4", inv));
            if (Precision >= DateTimePrecision.Month) sb.Append('-').Append(Month.ToString("D2", inv));
            if (Precision >= DateTimePrecision.Day) sb.Append('-').Append(Day.ToString("D2", inv));
            if (!time || Precision < DateTimePrecision.Hour) return sb.ToString();
            sb.Append('T');
        }
        sb.Append(Hour.ToString("D2", inv));
        if (Precision >= DateTimePrecision.Minute) sb.Append(':').Append(Minute.ToString("D2", inv));
        if (Precision >= DateTimePrecision.Second) sb.Append(':').Append(Second.ToString("D2", inv));
        if (Precision >= DateTimePrecision.Millisecond) sb.Append('.').Append(Millisecond.ToString("D3", inv));
        if (date && Offset is { } off)
        {
            if (off == TimeSpan.Zero)
            {
                sb.Append('Z');
            }
            else
            {
                sb.Append(off < TimeSpan.Zero ? '-' : '+').Append(Math.Abs(off.Hours).ToString("D2", inv))
                    .Append(':').Append(Math.Abs(off.Minutes).ToString("D2", inv));
            }
        }
        return sb.ToString();
    }
}

/// <summary>System.Date: a calendar date with year, month or day precision.</summary>
public sealed class FhirPathDate : IEquatable<FhirPathDate>
{
    internal FhirPathDate(Temporal value) => Value = value;

    internal Temporal Value { get; }
    public int Year => Value.Year;
    public int Month => Value.Month;
    public int Day => Value.Day;
    public DateTimePrecision Precision => Value.Precision;

    public static FhirPathDate? Parse(string text) =>
        Temporal.TryParse(text, false, out var t) && t.Precision <= DateTimePrecision.Day && t.Offset is null && !text.Contains('T')
            ? new FhirPathDate(t) : null;

    public FhirPathDateTime ToDateTime() => new(Value);

    public bool Equals(FhirPathDate? other) => other is not null && other.Value == Value;
    public override bool Equals(object? obj) => Equals(obj as FhirPathDate);
    public override int GetHashCode() => Value.GetHashCode();
    public override string ToString() => Value.Format(true, false);
}

/// <summary>System.DateTime: a date and time of any precision, with an optional offset.</summary>
public sealed class FhirPathDateTime : IEquatable<FhirPathDateTime>
{
    internal FhirPathDateTime(Temporal value) => Value = value;

    internal Temporal Value { get; }
    public DateTimePrecision Precision => Value.Precision;
    public TimeSpan? Offset => Value.Offset;

    public static FhirPathDateTime? Parse(string text) =>
        Temporal.TryParse(text, false, out var t) ? new FhirPathDateTime(t) : null;

    public static FhirPathDateTime FromDateTimeOffset(DateTimeOffset d) =>
        new(Temporal.FromDateTime(d.DateTime, DateTimePrecision.Millisecond, d.Offset));

    public bool Equals(FhirPathDateTime? other) => other is not null && other.Value == Value;
    public override bool Equals(object? obj) => Equals(obj as FhirPathDateTime);
    public override int GetHashCode() => Value.GetHashCode();
    public override string ToString() => Value.Format(true, true);
}

/// <summary>System.Time: a time of day with hour to millisecond precision.</summary>
public sealed class FhirPathTime : IEquatable<FhirPathTime>
{
    internal FhirPathTime(Temporal value) => Value = value;

    internal Temporal Value { get; }
    public DateTimePrecision Precision => Value.Precision;

    public static FhirPathTime? Parse(string text) =>
        Temporal.TryParse(text, true, out var t) && t.Precision >= DateTimePrecision.Hour ? new FhirPathTime(t) : null;

    public bool Equals(FhirPathTime? other) => other is not null && other.Value == Value;
    public override bool Equals(object? obj) => Equals(obj as FhirPathTime);
    public override int GetHashCode() => Value.GetHashCode();
    public override string ToString() => Value.Format(false, true);
}
