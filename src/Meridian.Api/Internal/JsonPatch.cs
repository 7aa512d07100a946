using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meridian.Api.Internal;

/// <summary>
/// JSON Patch (RFC 6902) over a resource's JSON: add, remove, replace, move, copy, test. The
/// document is applied to a copy; any failing operation fails the whole patch (the RFC's
/// atomicity), returned as a message, never thrown.
/// </summary>
internal static class JsonPatch
{
    /// <returns>Null on success, else why the patch cannot be applied (and <paramref name="malformed"/>
    /// says whether the patch document itself is bad (400) or does not fit the resource (422)).</returns>
    public static string? Apply(JsonObject target, ReadOnlyMemory<byte> patch, out bool malformed)
    {
        malformed = true;
        JsonNode? doc;
        try
        {
            doc = JsonNode.Parse(patch.Span);
        }
        catch (JsonException ex)
        {
            return "The JSON Patch document is not valid JSON: " + ex.Message;
        }
        if (doc is not JsonArray ops)
        {
            return "A JSON Patch document is a JSON array of operations.";
        }
        foreach (var item in ops)
        {
            if (item is not JsonObject op || Str(op, "op") is not { } kind || Str(op, "path") is not { } path)
            {
                return "Every JSON Patch operation needs 'op' and 'path'.";
            }
            malformed = false;
            var error = kind switch
            {
                "add" => op.TryGetPropertyValue("value", out var v) ? Add(target, path, v?.DeepClone()) : Missing("value"),
                "remove" => Remove(target, path, out _),
                "replace" => op.TryGetPropertyValue("value", out var rv) ? Replace(target, path, rv?.DeepClone()) : Missing("value"),
                "move" => Str(op, "from") is { } from ? Move(target, from, path) : Missing("from"),
                "copy" => Str(op, "from") is { } src ? Copy(target, src, path) : Missing("from"),
                "test" => op.TryGetPropertyValue("value", out var tv) ? Test(target, path, tv) : Missing("value"),
                _ => $"Unknown JSON Patch operation '{kind}'.",
            };
            if (error is not null)
            {
                malformed = kind is not ("add" or "remove" or "replace" or "move" or "copy" or "test") || error.StartsWith("Missing", StringComparison.Ordinal);
                return error;
            }
        }
        return null;
    }

    private static string Missing(string member) => $"Missing '{member}' in a JSON Patch operation.";

    private static string? Str(JsonObject o, string name) =>
        o.TryGetPropertyValue(name, out var n) && n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static List<string>? Pointer(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }
        if (path[0] != '/')
        {
            return null;
        }
        return [.. path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }

    /// <summary>The container of the pointer's last token, and that token.</summary>
    private static (JsonNode? Parent, string Token) Locate(JsonNode root, string path, out string? error)
    {
        error = null;
        var tokens = Pointer(path);
        if (tokens is null || tokens.Count == 0)
        {
            error = $"'{path}' is not a JSON Pointer to a member of the resource.";
            return (null, "");
        }
        JsonNode? node = root;
        for (var i = 0; i < tokens.Count - 1; i++)
        {
            node = Child(node, tokens[i]);
            if (node is null)
            {
                error = $"Path '{path}' does not exist in the resource.";
                return (null, "");
            }
        }
        return (node, tokens[^1]);
    }

    private static JsonNode? Child(JsonNode? node, string token) => node switch
    {
        JsonObject o => o.TryGetPropertyValue(token, out var c) ? c : null,
        JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
        _ => null,
    };

    private static string? Get(JsonNode root, string path, out JsonNode? value)
    {
        value = null;
        var (parent, token) = Locate(root, path, out var error);
        if (error is not null)
        {
            return error;
        }
        var exists = parent switch
        {
            JsonObject o => o.ContainsKey(token),
            JsonArray a => int.TryParse(token, out var i) && i >= 0 && i < a.Count,
            _ => false,
        };
        if (!exists)
        {
            return $"Path '{path}' does not exist in the resource.";
        }
        value = Child(parent, token);
        return null;
    }

    private static string? Add(JsonNode root, string path, JsonNode? value)
    {
        var (parent, token) = Locate(root, path, out var error);
        if (error is not null)
        {
            return error;
        }
        switch (parent)
        {
            case JsonObject o:
                o[token] = value;
                return null;
            case JsonArray a when token == "-":
                a.Add(value);
                return null;
            case JsonArray a when int.TryParse(token, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                return null;
            default:
                return $"Cannot add at '{path}'.";
        }
    }

    private static string? Remove(JsonNode root, string path, out JsonNode? removed)
    {
        removed = null;
        var error = Get(root, path, out removed);
        if (error is not null)
        {
            return error;
        }
        var (parent, token) = Locate(root, path, out _);
        if (parent is JsonObject o)
        {
            o.Remove(token);
        }
        else if (parent is JsonArray a)
        {
            a.RemoveAt(int.Parse(token, System.Globalization.CultureInfo.InvariantCulture));
        }
        return null;
    }

    private static string? Replace(JsonNode root, string path, JsonNode? value) =>
        Remove(root, path, out _) ?? Add(root, path, value);

    private static string? Move(JsonNode root, string from, string path)
    {
        if (path.StartsWith(from + "/", StringComparison.Ordinal))
        {
            return $"Cannot move '{from}' into its own child '{path}'.";
        }
        return Remove(root, from, out var value) ?? Add(root, path, value);
    }

    private static string? Copy(JsonNode root, string from, string path) =>
        Get(root, from, out var value) ?? Add(root, path, value?.DeepClone());

    private static string? Test(JsonNode root, string path, JsonNode? expected)
    {
        var error = Get(root, path, out var actual);
        if (error is not null)
        {
            return error;
        }
        return JsonNode.DeepEquals(actual, expected) ? null : $"Test failed: '{path}' does not have the expected value.";
    }
}
