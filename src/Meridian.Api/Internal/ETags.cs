using System.Globalization;

namespace Meridian.Api.Internal;

/// <summary>Parses version ETags: <c>W/"3"</c>, <c>"3"</c> or <c>3</c>.</summary>
internal static class ETags
{
    public static bool TryParse(string? etag, out long version)
    {
        version = 0;
        if (string.IsNullOrWhiteSpace(etag))
        {
            return false;
        }
        var s = etag.Trim();
        if (s.StartsWith("W/", StringComparison.Ordinal))
        {
            s = s[2..];
        }
        s = s.Trim('"');
        return long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out version) && version > 0;
    }
}
