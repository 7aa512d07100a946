using System.Globalization;

namespace Meridian.Fhir.Search.Internal;

/// <summary>FHIR decimal text to <see cref="decimal"/>, keeping the precision the text states.</summary>
internal static class FhirDecimals
{
    public static bool TryParse(string? text, out decimal value)
    {
        value = 0;
        return text is not null && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Half a unit of the last stated digit either side: 100 → [99.5, 100.5], 1.50 → [1.495, 1.505].</summary>
    public static (decimal Low, decimal High) ImpliedRange(decimal value)
    {
        var scale = value.Scale;
        if (scale >= 28)
        {
            return (value, value);
        }
        var half = new decimal(5, 0, 0, false, (byte)(scale + 1));
        return (value - half, value + half);
    }
}
