using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Parsing.Internal;

/// <summary>The comparison prefix of a number, date or quantity value (<c>ge2020</c>, <c>lt5.4</c>).</summary>
internal static class PrefixReader
{
    /// <summary>
    /// Reads an optional two-letter prefix. Such values start with a digit or sign otherwise,
    /// so a leading letter that does not begin a known prefix is an error, not part of the value.
    /// </summary>
    public static bool TryRead(string value, out SearchPrefix prefix, out string rest, out string? error)
    {
        prefix = SearchPrefix.Eq;
        rest = value;
        error = null;
        if (value.Length == 0 || !char.IsAsciiLetter(value[0]))
        {
            return true;
        }
        SearchPrefix? known = value.Length < 2 ? null : value.AsSpan(0, 2) switch
        {
            "eq" => SearchPrefix.Eq,
            "ne" => SearchPrefix.Ne,
            "gt" => SearchPrefix.Gt,
            "lt" => SearchPrefix.Lt,
            "ge" => SearchPrefix.Ge,
            "le" => SearchPrefix.Le,
            "sa" => SearchPrefix.Sa,
            "eb" => SearchPrefix.Eb,
            "ap" => SearchPrefix.Ap,
            _ => null,
        };
        if (known is null)
        {
            var end = 0;
            while (end < value.Length && char.IsAsciiLetter(value[end]))
            {
                end++;
            }
            error = $"unknown prefix '{value[..end]}' (expected eq, ne, gt, lt, ge, le, sa, eb or ap)";
            return false;
        }
        prefix = known.Value;
        rest = value[2..];
        return true;
    }
}
