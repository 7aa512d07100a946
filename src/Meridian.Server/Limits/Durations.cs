using System.Globalization;

namespace Meridian.Server.Limits;

/// <summary>
/// Durations in configuration as people write them: <c>500ms</c>, <c>30s</c>, <c>5m</c>,
/// <c>12h</c>, <c>3650d</c>, or a .NET TimeSpan (<c>00:00:30</c>). Settings keep the text and
/// are parsed while validating, so a typo stops the server with a message instead of an
/// exception from the configuration binder.
/// </summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var t = text.Trim();
        var (number, unit) = t.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (t[..^2], 1.0)
            : t.EndsWith('s') || t.EndsWith('S') ? (t[..^1], 1_000.0)
            : t.EndsWith('m') || t.EndsWith('M') ? (t[..^1], 60_000.0)
            : t.EndsWith('h') || t.EndsWith('H') ? (t[..^1], 3_600_000.0)
            : t.EndsWith('d') || t.EndsWith('D') ? (t[..^1], 86_400_000.0)
            : (null, 0);
        if (number is null)
        {
            return TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
        }
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n < 0 || n * unit > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }
        value = TimeSpan.FromMilliseconds(n * unit);
        return true;
    }

    /// <summary>The parsed value; only for settings that passed validation.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a duration (e.g. 30s, 5m, 12h, 3650d).");

    /// <summary>Adds a problem unless <paramref name="text"/> is a duration within [min, max].</summary>
    internal static void Check(List<string> problems, string key, string? text, TimeSpan min, TimeSpan max)
    {
        if (!TryParse(text, out var value))
        {
            problems.Add($"{key} '{text}' is not a duration (e.g. 30s, 5m, 12h, 3650d).");
        }
        else if (value < min || value > max)
        {
            problems.Add($"{key} must be between {min} and {max}.");
        }
    }
}
