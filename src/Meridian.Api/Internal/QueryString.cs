using System.Collections.Immutable;

namespace Meridian.Api.Internal;

/// <summary>Splits <c>a=1&amp;b=2</c> (query strings, form bodies, conditional URLs) into decoded pairs.</summary>
internal static class QueryString
{
    public static ImmutableArray<KeyValuePair<string, string>> Parse(string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return [];
        }
        if (query[0] == '?')
        {
            query = query[1..];
        }
        var result = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            result.Add(new(Decode(key), Decode(value)));
        }
        return result.ToImmutable();
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    /// <summary>Encodes pairs back into a query string (for paging links).</summary>
    public static string Format(IEnumerable<KeyValuePair<string, string>> pairs) =>
        string.Join('&', pairs.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));

    /// <summary>Splits <c>Patient?identifier=x</c> into type and criteria (null criteria when no '?').</summary>
    public static (string Path, string? Criteria) SplitUrl(string url)
    {
        var q = url.IndexOf('?');
        return q < 0 ? (url, null) : (url[..q], url[(q + 1)..]);
    }
}
