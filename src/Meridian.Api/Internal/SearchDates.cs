using System.Globalization;

namespace Meridian.Api.Internal;

/// <summary>A FHIR date/dateTime/instant search value as the range its precision denotes.</summary>
internal static class SearchDates
{
    public static bool TryParseRange(string text, out DateTimeOffset low, out DateTimeOffset high)
    {
        low = high = default;
        var inv = CultureInfo.InvariantCulture;
        switch (text.Length)
        {
            case 4 when int.TryParse(text, NumberStyles.None, inv, out var y) && y >= 1:
                low = new DateTimeOffset(y, 1, 1, 0, 0, 0, TimeSpan.Zero);
                high = low.AddYears(1).AddTicks(-1);
                return true;
            case 7 when DateTime.TryParseExact(text, "yyyy-MM", inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var ym):
                low = new DateTimeOffset(ym, TimeSpan.Zero);
                high = low.AddMonths(1).AddTicks(-1);
                return true;
            case 10 when DateTime.TryParseExact(text, "yyyy-MM-dd", inv, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d):
                low = new DateTimeOffset(d, TimeSpan.Zero);
                high = low.AddDays(1).AddTicks(-1);
                return true;
        }
        if (DateTimeOffset.TryParse(text, inv, DateTimeStyles.AssumeUniversal, out var t))
        {
            // Seconds precision denotes the whole second.
            low = t.ToUniversalTime();
            high = text.Contains('.', StringComparison.Ordinal) ? low : low.AddSeconds(1).AddTicks(-1);
            return true;
        }
        return false;
    }

    /// <summary>An instant for <c>_since</c>/<c>_at</c>: a full dateTime, or a date meaning its start.</summary>
    public static bool TryParseInstant(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (string.IsNullOrEmpty(text) || !TryParseRange(text, out var low, out _))
        {
            return false;
        }
        instant = low;
        return true;
    }
}
