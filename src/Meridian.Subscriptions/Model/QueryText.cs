using System.Collections.Immutable;

namespace Meridian.Subscriptions.Model;

/// <summary>Splits a search string <c>Type?a=1&amp;b=2</c> the way the REST layer reads a query string.</summary>
internal static class QueryText
{
    public static (string Type, ImmutableArray<KeyValuePair<string, string>> Parameters)? Split(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var q = text.IndexOf('?', StringComparison.Ordinal);
        var type = (q < 0 ? text : text[..q]).Trim();
        if (type.Length == 0 || type.Contains('/', StringComparison.Ordinal) || type.Contains(':', StringComparison.Ordinal))
        {
            return null;
        }
        var parameters = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        if (q >= 0)
        {
            foreach (var pair in text[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                var key = Decode(eq < 0 ? pair : pair[..eq]);
                var value = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
                if (key.Length > 0)
                {
                    parameters.Add(new(key, value));
                }
            }
        }
        return (type, parameters.ToImmutable());
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
}
