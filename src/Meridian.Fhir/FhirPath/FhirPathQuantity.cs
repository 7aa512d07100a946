using System.Globalization;

namespace Meridian.Fhir.FhirPath;

/// <summary>System.Quantity: a decimal value with a UCUM unit or a calendar duration keyword
/// ("year", "month", "week", "day", "hour", "minute", "second", "millisecond").</summary>
public sealed record FhirPathQuantity(decimal Value, string Unit)
{
    /// <summary>True for the FHIRPath calendar-duration keywords (singular or plural).</summary>
    public bool IsCalendarDuration => Units.CalendarUnit(Unit) is not null;

    public override string ToString()
    {
        var v = Value.ToString(CultureInfo.InvariantCulture);
        return IsCalendarDuration ? $"{v} {Unit}" : $"{v} '{Unit}'";
    }
}
