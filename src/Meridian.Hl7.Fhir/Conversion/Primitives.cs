using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Meridian.Hl7.Fhir.Conversion;

/// <summary>
/// v2 text to FHIR primitive JSON values. Dates follow the IG: the v2 precision is kept (a v2
/// DT/DTM of a day is a FHIR date-shaped dateTime), times without a zone get the sender's
/// offset (FHIR requires one when a time is given). A value that does not convert is dropped
/// and reported, never guessed.
/// </summary>
internal static class Primitives
{
    private static readonly HashSet<string> s_names = new(StringComparer.Ordinal)
    {
        "string", "code", "id", "uri", "url", "markdown", "date", "dateTime", "instant", "time", "decimal",
        "integer", "positiveInt", "unsignedInt", "boolean", "base64Binary", "system", "hdsystem", "eisystem", "text", "comparator", "snvalue",
    };

    public static bool IsPrimitive(string type) => s_names.Contains(type);

    /// <summary>Converts <paramref name="text"/>; null with a reason in <paramref name="problem"/> when it cannot be.</summary>
    public static JsonNode? Convert(string type, string text, SenderZone defaultOffset, out string? problem)
    {
        problem = null;
        if (text.Length == 0)
        {
            return null;
        }
        switch (type)
        {
            case "date":
                return Hl7DateTime.TryParse(text, out var d) ? JsonValue.Create(FormatDate(d)) : Bad(out problem, text, type);
            case "dateTime":
                return Hl7DateTime.TryParse(text, out var dt) ? JsonValue.Create(FormatDateTime(dt, defaultOffset)) : Bad(out problem, text, type);
            case "instant":
                return Hl7DateTime.TryParse(text, out var inst) && inst.Precision >= Hl7DatePrecision.Day
                    ? JsonValue.Create(FormatInstant(inst, defaultOffset)) : Bad(out problem, text, type);
            case "time":
                return TryTime(text, out var time) ? JsonValue.Create(time) : Bad(out problem, text, type);
            case "decimal":
                return decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var dec)
                    ? JsonValue.Create(dec) : Bad(out problem, text, type);
            case "integer":
            case "positiveInt":
            case "unsignedInt":
                return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) && (type == "integer" || i >= (type == "positiveInt" ? 1 : 0))
                    ? JsonValue.Create(i) : Bad(out problem, text, type);
            case "boolean":
                return text.ToUpperInvariant() switch
                {
                    "Y" or "YES" or "TRUE" or "T" or "1" => JsonValue.Create(true),
                    "N" or "NO" or "FALSE" or "F" or "0" => JsonValue.Create(false),
                    _ => Bad(out problem, text, type),
                };
            case "comparator":
                var op = new string([.. text.TakeWhile(c => c is '<' or '>' or '=')]);
                return op is "<" or "<=" or ">" or ">=" ? JsonValue.Create(op) : null;
            case "snvalue":
                return Convert("decimal", text.TrimStart('<', '>', '=').Trim(), defaultOffset, out problem);
            case "base64Binary":
                return JsonValue.Create(System.Convert.ToBase64String(Encoding.UTF8.GetBytes(text)));
            case "code":
            case "id":
                // FHIR codes have no leading/trailing or doubled whitespace.
                return JsonValue.Create(string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
            case "uri":
            case "url":
                return text.Any(char.IsWhiteSpace) ? Bad(out problem, text, type) : JsonValue.Create(text);
            default:
                return JsonValue.Create(text);
        }
    }

    private static JsonNode? Bad(out string problem, string text, string type)
    {
        problem = $"'{text}' is not a valid {type}";
        return null;
    }

    public static string FormatDate(Hl7DateTime value) => value.Precision switch
    {
        Hl7DatePrecision.Year => value.Value.ToString("yyyy", CultureInfo.InvariantCulture),
        Hl7DatePrecision.Month => value.Value.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        _ => value.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    public static string FormatDateTime(Hl7DateTime value, SenderZone defaultOffset)
    {
        if (value.Precision <= Hl7DatePrecision.Day)
        {
            return FormatDate(value);
        }
        return FormatInstant(value, defaultOffset);
    }

    public static string FormatInstant(Hl7DateTime value, SenderZone defaultOffset)
    {
        var v = value.Value;
        var offset = value.HasOffset ? v.Offset : defaultOffset.OffsetAt(v.DateTime);
        var clock = new DateTimeOffset(v.DateTime, offset);
        var format = value.Precision == Hl7DatePrecision.FractionalSecond ? "yyyy-MM-dd'T'HH:mm:ss.fff" : "yyyy-MM-dd'T'HH:mm:ss";
        var zone = offset == TimeSpan.Zero ? "Z" : clock.ToString("zzz", CultureInfo.InvariantCulture);
        return clock.ToString(format, CultureInfo.InvariantCulture) + zone;
    }

    private static bool TryTime(string text, out string time)
    {
        time = "";
        var digits = new string([.. text.TakeWhile(char.IsAsciiDigit)]);
        if (digits.Length is not (2 or 4 or 6))
        {
            return false;
        }
        var padded = digits.PadRight(6, '0');
        var h = int.Parse(padded[..2], CultureInfo.InvariantCulture);
        var m = int.Parse(padded[2..4], CultureInfo.InvariantCulture);
        var s = int.Parse(padded[4..], CultureInfo.InvariantCulture);
        if (h > 23 || m > 59 || s > 59)
        {
            return false;
        }
        time = $"{padded[..2]}:{padded[2..4]}:{padded[4..]}";
        return true;
    }
}

/// <summary>
/// Where a sender's zone-less times are: a fixed offset, or a time zone whose offset is looked up
/// for each local time (so a summer and a winter time of the same sender get their own offsets).
/// </summary>
public readonly record struct SenderZone(TimeSpan Offset, TimeZoneInfo? Zone)
{
    public TimeSpan OffsetAt(DateTime local) =>
        Zone is null ? Offset : Zone.GetUtcOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified));
}
