using System.Collections.Frozen;
using Meridian.Fhir.Terminology;

namespace Meridian.Fhir.FhirPath;

/// <summary>
/// Unit handling for FHIRPath quantities: the calendar-duration keywords, and UCUM conversion
/// through <see cref="UcumService"/> (which caches each unit string, so this stays allocation-free
/// for the common units).
/// </summary>
internal static class Units
{
    private static readonly FrozenDictionary<string, string> s_calendar = new Dictionary<string, string>
    {
        ["year"] = "year", ["years"] = "year", ["month"] = "month", ["months"] = "month",
        ["week"] = "week", ["weeks"] = "week", ["day"] = "day", ["days"] = "day",
        ["hour"] = "hour", ["hours"] = "hour", ["minute"] = "minute", ["minutes"] = "minute",
        ["second"] = "second", ["seconds"] = "second", ["millisecond"] = "millisecond", ["milliseconds"] = "millisecond",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static UcumService Ucum => UcumService.Default;

    /// <summary>The singular calendar keyword for a unit, or null when it is not one.</summary>
    public static string? CalendarUnit(string unit) => s_calendar.GetValueOrDefault(unit);

    /// <summary>The UCUM unit a calendar keyword stands for. Year and month are not definite
    /// durations, so they map to 'a'/'mo' and callers keep them apart from those UCUM units.</summary>
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

    /// <summary>Both units as UCUM, or false when a calendar year/month meets anything but itself
    /// (a calendar year is not 'a', and neither converts to days).</summary>
    private static bool TryUcumPair(string a, string b, out string ua, out string ub)
    {
        ua = ToUcum(a);
        ub = ToUcum(b);
        var ia = CalendarUnit(a) is "year" or "month";
        var ib = CalendarUnit(b) is "year" or "month";
        return !(ia || ib) || (ia && ib && ua == ub);
    }

    /// <summary>Both values in a common unit; false when the units are not commensurable.</summary>
    public static bool TryAlign(FhirPathQuantity a, FhirPathQuantity b, out decimal va, out decimal vb)
    {
        va = vb = 0;
        if (!TryUcumPair(a.Unit, b.Unit, out var ua, out var ub))
        {
            return false;
        }
        if (ua == ub)
        {
            va = a.Value;
            vb = b.Value;
            return true;
        }
        return Ucum.TryCanonicalize(a.Value, ua, out va, out var ca)
            && Ucum.TryCanonicalize(b.Value, ub, out vb, out var cb)
            && string.Equals(ca, cb, StringComparison.Ordinal);
    }

    /// <summary>The value of <paramref name="q"/> expressed in <paramref name="unit"/>.</summary>
    public static bool TryConvert(FhirPathQuantity q, string unit, out decimal value)
    {
        value = 0;
        if (!TryUcumPair(q.Unit, unit, out var from, out var to))
        {
            return false;
        }
        if (from == to)
        {
            value = q.Value;
            return true;
        }
        return Ucum.TryConvert(q.Value, from, to, out value);
    }

    public static bool AreComparable(FhirPathQuantity a, FhirPathQuantity b) =>
        TryUcumPair(a.Unit, b.Unit, out var ua, out var ub) && (ua == ub || Ucum.AreComparable(ua, ub));

    /// <summary>UCUM product or quotient in canonical units (2 cm × 2 m = 0.04 m2).</summary>
    public static bool TryCombine(FhirPathQuantity a, FhirPathQuantity b, bool divide, out FhirPathQuantity result)
    {
        result = a;
        var ua = ToUcum(a.Unit);
        var ub = ToUcum(b.Unit);
        decimal v;
        string u;
        var ok = divide ? Ucum.TryDivide(a.Value, ua, b.Value, ub, out v, out u) : Ucum.TryMultiply(a.Value, ua, b.Value, ub, out v, out u);
        if (ok)
        {
            result = new FhirPathQuantity(v, u.Length == 0 ? "1" : u);
        }
        return ok;
    }
}
