namespace Meridian.Fhir.FhirPath;

/// <summary>Date/DateTime/Time plus a time-valued quantity, honouring the value's precision.</summary>
internal static class DateArithmetic
{
    public static object Add(object value, FhirPathQuantity q)
    {
        var unit = Units.CalendarUnit(q.Unit) ?? q.Unit switch
        {
            "wk" => "week",
            "d" => "day",
            "h" => "hour",
            "min" => "minute",
            "s" => "second",
            "ms" => "millisecond",
            _ => throw new FhirPathException($"Cannot add a quantity in '{q.Unit}' to a date/time: use a calendar duration"),
        };
        var t = Comparison.TemporalParts(value, out var parts, out var isTime) ? parts : default;
        // Fractions of the value's own precision are dropped (7.7 days on a Date adds 7 days).
        var whole = (long)decimal.Truncate(q.Value);
        var dt = isTime ? new DateTime(2000, 1, 1, t.Hour, t.Minute, t.Second, t.Millisecond) : t.ToDateTime();
        var p = t.Precision;
        try
        {
            dt = unit switch
            {
                "year" => dt.AddYears((int)whole),
                "month" => p >= DateTimePrecision.Month ? dt.AddMonths((int)whole) : dt.AddYears((int)(whole / 12)),
                "week" => AddDays(dt, p, whole * 7),
                "day" => AddDays(dt, p, whole),
                "hour" => p >= DateTimePrecision.Hour || isTime ? dt.AddHours(whole) : AddDays(dt, p, whole / 24),
                "minute" => p >= DateTimePrecision.Minute ? dt.AddMinutes(whole) : dt.AddHours(whole / 60),
                "second" => p >= DateTimePrecision.Second ? dt.AddSeconds(whole) : dt.AddMinutes(whole / 60),
                _ => p >= DateTimePrecision.Millisecond ? dt.AddMilliseconds(whole) : dt.AddSeconds(whole / 1000),
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new FhirPathException("Date/time arithmetic result is out of range");
        }
        var result = Temporal.FromDateTime(dt, p, t.Offset);
        return value switch
        {
            FhirPathDate => new FhirPathDate(result),
            FhirPathTime => new FhirPathTime(result),
            _ => new FhirPathDateTime(result),
        };
    }

    private static DateTime AddDays(DateTime dt, DateTimePrecision p, long days) =>
        p >= DateTimePrecision.Day ? dt.AddDays(days) : p == DateTimePrecision.Month ? dt.AddMonths((int)(days / 30)) : dt.AddYears((int)(days / 365));
}
