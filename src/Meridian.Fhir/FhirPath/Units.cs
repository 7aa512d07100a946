using System.Collections.Frozen;

namespace Meridian.Fhir.FhirPath;

/// <summary>
/// The small unit knowledge FHIRPath comparison and arithmetic need: common UCUM units reduced to
/// a base unit by a factor, and the calendar-duration keywords. A full UCUM service lives in
/// Terminology; this table deliberately covers only simple multiplicative units.
/// </summary>
internal static class Units
{
    private readonly record struct Unit(string Dimension, decimal Factor);

    private static readonly FrozenDictionary<string, Unit> s_ucum = new Dictionary<string, Unit>
    {
        ["1"] = new("1", 1m),
        ["%"] = new("1", 0.01m),
        ["g"] = new("g", 1m), ["mg"] = new("g", 0.001m), ["ug"] = new("g", 0.000001m), ["kg"] = new("g", 1000m),
        ["ng"] = new("g", 0.000000001m), ["[lb_av]"] = new("g", 453.59237m), ["[oz_av]"] = new("g", 28.349523125m),
        ["m"] = new("m", 1m), ["cm"] = new("m", 0.01m), ["mm"] = new("m", 0.001m), ["km"] = new("m", 1000m),
        ["um"] = new("m", 0.000001m), ["[in_i]"] = new("m", 0.0254m), ["[ft_i]"] = new("m", 0.3048m),
        ["L"] = new("L", 1m), ["l"] = new("L", 1m), ["dL"] = new("L", 0.1m), ["mL"] = new("L", 0.001m), ["ml"] = new("L", 0.001m),
        ["s"] = new("s", 1m), ["ms"] = new("s", 0.001m), ["min"] = new("s", 60m), ["h"] = new("s", 3600m),
        ["d"] = new("s", 86400m), ["wk"] = new("s", 604800m), ["mo"] = new("s", 2629800m), ["a"] = new("s", 31557600m),
        ["Cel"] = new("Cel", 1m), ["mm[Hg]"] = new("mm[Hg]", 1m), ["/min"] = new("/s", 1m / 60m),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> s_calendar = new Dictionary<string, string>
    {
        ["year"] = "year", ["years"] = "year", ["month"] = "month", ["months"] = "month",
        ["week"] = "week", ["weeks"] = "week", ["day"] = "day", ["days"] = "day",
        ["hour"] = "hour", ["hours"] = "hour", ["minute"] = "minute", ["minutes"] = "minute",
        ["second"] = "second", ["seconds"] = "second", ["millisecond"] = "millisecond", ["milliseconds"] = "millisecond",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The singular calendar keyword for a unit, or null when it is not one.</summary>
    public static string? CalendarUnit(string unit) => s_calendar.GetValueOrDefault(unit);

    /// <summary>The UCUM unit a calendar keyword stands for in comparisons. Year and month are not
    /// definite durations, so they map to 'a'/'mo' which only compare with themselves.</summary>
    public static string ToUcum(string unit) => CalendarUnit(unit) switch
    {
        "year" => "a",
        "month" => "mo",
        "week" => "wk",
        "day" => "d",
        "hour" => "h",
        "minute" => "min",
        "second" => "s",
        "millisecond" => "ms",
        _ => unit,
    };

    /// <summary>Expresses <paramref name="value"/> in base units; false for unknown units.</summary>
    public static bool TryNormalize(decimal value, string unit, out decimal normalized, out string dimension)
    {
        if (s_ucum.TryGetValue(unit, out var u))
        {
            normalized = value * u.Factor;
            dimension = u.Dimension;
            return true;
        }
        normalized = value;
        dimension = unit;
        return false;
    }

    /// <summary>Converts both quantities to a common unit; false when they are not commensurable.</summary>
    public static bool TryAlign(FhirPathQuantity a, FhirPathQuantity b, out decimal va, out decimal vb)
    {
        var ua = a.Unit;
        var ub = b.Unit;
        var ca = CalendarUnit(ua);
        var cb = CalendarUnit(ub);
        if (ca is not null && cb is not null)
        {
            ua = ToUcum(ua);
            ub = ToUcum(ub);
        }
        else if (ca is not null || cb is not null)
        {
            // A calendar year/month is not the UCUM year/month; shorter calendar units equal their UCUM units.
            if (ca is "year" or "month" || cb is "year" or "month")
            {
                va = vb = 0;
                return false;
            }
            ua = ToUcum(ua);
            ub = ToUcum(ub);
        }
        if (ua == ub)
        {
            va = a.Value;
            vb = b.Value;
            return true;
        }
        if (TryNormalize(a.Value, ua, out va, out var da) && TryNormalize(b.Value, ub, out vb, out var db) && da == db)
        {
            return true;
        }
        va = vb = 0;
        return false;
    }
}
