using System.Text;

namespace Meridian.Fhir.FhirPath.Functions;

/// <summary>String manipulation functions. All take a single String input; empty in → empty out.</summary>
internal static class StringFunctions
{
    private delegate object? StringBody(string input, Scope s, Evaluator[] args);

    public static void Register(FunctionTable.Builder b)
    {
        Add(b, "indexOf", 1, (x, s, a) => Arg(s, a, 0, "indexOf") is { } sub ? (long)x.IndexOf(sub, StringComparison.Ordinal) : null);
        Add(b, "substring", 1, 2, Substring);
        Add(b, "startsWith", 1, (x, s, a) => Arg(s, a, 0, "startsWith") is { } p ? x.StartsWith(p, StringComparison.Ordinal) : null);
        Add(b, "endsWith", 1, (x, s, a) => Arg(s, a, 0, "endsWith") is { } p ? x.EndsWith(p, StringComparison.Ordinal) : null);
        Add(b, "contains", 1, (x, s, a) => Arg(s, a, 0, "contains") is { } p ? x.Contains(p, StringComparison.Ordinal) : null);
        Add(b, "upper", 0, (x, _, _) => x.ToUpperInvariant());
        Add(b, "lower", 0, (x, _, _) => x.ToLowerInvariant());
        Add(b, "replace", 2, Replace);
        Add(b, "matches", 1, (x, s, a) => Arg(s, a, 0, "matches") is { } p ? s.Engine.Regex(p, whole: false).IsMatch(x) : null);
        Add(b, "matchesFull", 1, (x, s, a) => Arg(s, a, 0, "matchesFull") is { } p ? s.Engine.Regex(p, whole: true).IsMatch(x) : null);
        Add(b, "replaceMatches", 2, (x, s, a) =>
            Arg(s, a, 0, "replaceMatches") is { } p && Arg(s, a, 1, "replaceMatches") is { } r
                ? p.Length == 0 ? x : s.Engine.Regex(p, whole: false).Replace(x, r)
                : null);
        Add(b, "length", 0, (x, _, _) => (long)x.Length);
        Add(b, "trim", 0, (x, _, _) => x.Trim());
        Add(b, "encode", 1, (x, s, a) => Encoding(x, Arg(s, a, 0, "encode"), encode: true));
        Add(b, "decode", 1, (x, s, a) => Encoding(x, Arg(s, a, 0, "decode"), encode: false));
        b.Add("toChars", 0, 0, (_, input, _) => Input(input, "toChars") is { } x ? ToChars(x) : Items.Empty);
        b.Add("split", 1, 1, (s, input, args) => Input(input, "split") is { } x && Arg(s, args, 0, "split") is { } sep ? Split(x, sep) : Items.Empty);
        b.Add("join", 0, 1, Join);
        Add(b, "escape", 1, (x, s, a) => Arg(s, a, 0, "escape") switch
        {
            "html" => System.Net.WebUtility.HtmlEncode(x),
            "json" => System.Text.Json.JsonEncodedText.Encode(x, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value,
            _ => null,
        });
        Add(b, "unescape", 1, (x, s, a) => Arg(s, a, 0, "unescape") switch
        {
            "html" => System.Net.WebUtility.HtmlDecode(x),
            "json" => UnescapeJson(x),
            _ => null,
        });
    }

    private static void Add(FunctionTable.Builder b, string name, int args, StringBody body) => Add(b, name, args, args, body);

    private static void Add(FunctionTable.Builder b, string name, int minArgs, int maxArgs, StringBody body) =>
        b.Add(name, minArgs, maxArgs, (s, input, args) =>
        {
            var x = Input(input, name);
            return x is null ? Items.Empty : body(x, s, args) switch
            {
                null => Items.Empty,
                bool v => Items.Bool(v),
                var v => [v],
            };
        });

    private static string? Input(IReadOnlyList<object> input, string name)
    {
        var v = Items.SingleValue(input, name + "()");
        return v switch
        {
            null => null,
            string s => s,
            _ => throw new FhirPathException($"{name}() expects a String input but got {SystemValues.TypeNameOf(v)}"),
        };
    }

    private static string? Arg(Scope s, Evaluator[] args, int i, string name) =>
        Items.SingleValue(args[i](s), name + "()") is { } v ? SystemValues.ToText(v) : null;

    private static object? Substring(string x, Scope s, Evaluator[] args)
    {
        if (Items.SingleInteger(args[0](s), "substring()") is not { } start || start < 0 || start >= x.Length)
        {
            return null;
        }
        if (args.Length == 1)
        {
            return x[(int)start..];
        }
        if (Items.SingleInteger(args[1](s), "substring()") is not { } length)
        {
            return x[(int)start..];
        }
        var len = (int)Math.Clamp(length, 0, x.Length - start);
        return x.Substring((int)start, len);
    }

    private static object? Replace(string x, Scope s, Evaluator[] args)
    {
        var pattern = Arg(s, args, 0, "replace");
        var replacement = Arg(s, args, 1, "replace");
        if (pattern is null || replacement is null)
        {
            return null;
        }
        if (pattern.Length == 0)
        {
            // Spec: an empty pattern inserts the substitution around every character.
            var sb = new StringBuilder(replacement);
            foreach (var c in x) sb.Append(c).Append(replacement);
            return sb.ToString();
        }
        return x.Replace(pattern, replacement, StringComparison.Ordinal);
    }

    private static IReadOnlyList<object> ToChars(string x)
    {
        var result = new object[x.Length];
        for (var i = 0; i < x.Length; i++) result[i] = x[i].ToString();
        return result;
    }

    private static IReadOnlyList<object> Split(string x, string separator)
    {
        var parts = x.Split(separator);
        var result = new object[parts.Length];
        for (var i = 0; i < parts.Length; i++) result[i] = parts[i];
        return result;
    }

    private static IReadOnlyList<object> Join(Scope s, IReadOnlyList<object> input, Evaluator[] args)
    {
        var sep = args.Length > 0 ? Arg(s, args, 0, "join") ?? "" : "";
        var sb = new StringBuilder();
        for (var i = 0; i < input.Count; i++)
        {
            if (i > 0) sb.Append(sep);
            sb.Append(SystemValues.ToText(input[i]));
        }
        return [sb.ToString()];
    }

    private static string? Encoding(string x, string? format, bool encode)
    {
        try
        {
            return (format, encode) switch
            {
                ("hex", true) => Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(x)).ToLowerInvariant(),
                ("hex", false) => System.Text.Encoding.UTF8.GetString(Convert.FromHexString(x)),
                ("base64", true) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(x)),
                ("base64", false) => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(x)),
                ("urlbase64", true) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(x)).Replace('+', '-').Replace('/', '_'),
                ("urlbase64", false) => System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(x.Replace('-', '+').Replace('_', '/'))),
                _ => null,
            };
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Undoes JSON string escapes; characters that are not escaped pass through.</summary>
    private static string UnescapeJson(string x)
    {
        var sb = new StringBuilder(x.Length);
        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] != '\\' || i + 1 >= x.Length)
            {
                sb.Append(x[i]);
                continue;
            }
            var e = x[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u' when i + 4 < x.Length && int.TryParse(x.AsSpan(i + 1, 4), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var cp):
                    sb.Append((char)cp);
                    i += 4;
                    break;
                default: sb.Append(e); break;
            }
        }
        return sb.ToString();
    }
}
