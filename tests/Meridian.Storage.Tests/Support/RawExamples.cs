using System.Text.Json;

namespace Meridian.Storage.Tests.Support;

/// <summary>The examples as plain JSON, to compute expected search answers independently of the
/// indexer and the store.</summary>
public static class RawExamples
{
    private static readonly Lazy<Dictionary<string, JsonElement>> s_all = new(() =>
    {
        var all = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(Examples.Folder, "*.json"))
        {
            var root = JsonDocument.Parse(File.ReadAllBytes(file)).RootElement;
            if (root.TryGetProperty("id", out var id) && root.TryGetProperty("resourceType", out var type))
            {
                all[$"{type.GetString()}/{id.GetString()}"] = root;
            }
        }
        return all;
    });

    public static IReadOnlyDictionary<string, JsonElement> All => s_all.Value;

    /// <summary>Keys ("Type/id") of resources of <paramref name="type"/> satisfying <paramref name="test"/>.</summary>
    public static HashSet<string> Where(string type, Func<JsonElement, bool> test) =>
        [.. All.Where(kv => kv.Key.StartsWith(type + "/", StringComparison.Ordinal) && test(kv.Value)).Select(kv => kv.Key)];

    public static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray() : [];

    public static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static JsonElement Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;
}
