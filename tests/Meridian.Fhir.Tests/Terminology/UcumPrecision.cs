using System.Globalization;

namespace Meridian.Fhir.Tests.Terminology;

/// <summary>
/// How a conversion result is compared with an expected outcome of the UCUM functional tests: the
/// file states outcomes to the precision that matters ("0.160" for 6.30 [in_i] in m, whose exact
/// value is 0.16002), and says implementations need not keep more digits than they can. So the
/// result is rounded to the outcome's significant digits, capped at the 28 decimal places
/// System.Decimal can hold, and must then equal the outcome rounded the same way.
/// </summary>
internal static class UcumPrecision
{
    public static bool AgreesTo(string outcome, decimal result)
    {
        var expected = decimal.Parse(outcome, NumberStyles.Float, CultureInfo.InvariantCulture);
        var mantissa = outcome.Split('e', 'E')[0];
        var exponent = outcome.Contains('e', StringComparison.OrdinalIgnoreCase) ? int.Parse(outcome.Split('e', 'E')[1], CultureInfo.InvariantCulture) : 0;
        var digits = mantissa.Replace(".", "", StringComparison.Ordinal).TrimStart('-', '0');
        var significant = Math.Max(1, digits.Length);
        var pointIndex = mantissa.IndexOf('.', StringComparison.Ordinal);
        var decimalsInMantissa = pointIndex < 0 ? 0 : mantissa.Length - pointIndex - 1;
        // Decimal places stated = mantissa decimals - exponent; but never more than the significant digits imply.
        var stated = decimalsInMantissa - exponent;
        var magnitude = expected == 0 ? 0 : (int)Math.Floor(Math.Log10((double)Math.Abs(expected)));
        var places = Math.Min(stated, significant - 1 - magnitude);
        places = Math.Clamp(places, 0, 28);
        return Math.Round(result, places, MidpointRounding.AwayFromZero) == Math.Round(expected, places, MidpointRounding.AwayFromZero);
    }
}
