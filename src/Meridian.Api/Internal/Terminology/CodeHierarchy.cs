using System.Text.Json;

namespace Meridian.Api.Internal.Terminology;

/// <summary>
/// The concepts of a CodeSystem resource and their subsumption: nested <c>concept</c> elements
/// and the <c>parent</c> / <c>subsumedBy</c> properties (R4 CodeSystem hierarchy), as
/// child → parents and parent → children maps. Built per request from the stored JSON.
/// </summary>
internal sealed class CodeHierarchy
{
    private readonly Dictionary<string, HashSet<string>> _parents = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _children = new(StringComparer.Ordinal);

    public CodeHierarchy(string system, JsonElement codeSystem)
    {
        System = system;
        if (codeSystem.TryGetProperty("concept", out var concepts) && concepts.ValueKind == JsonValueKind.Array)
        {
            Walk(concepts, null);
        }
    }

    public string System { get; }

    public IReadOnlyCollection<string> Codes => _parents.Keys;

    public bool Contains(string code) => _parents.ContainsKey(code);

    /// <summary>The code and everything it subsumes (<c>:below</c>, filter <c>is-a</c>).</summary>
    public HashSet<string> SelfAndDescendants(string code) => Closure(code, _children);

    /// <summary>The code and everything that subsumes it (<c>:above</c>).</summary>
    public HashSet<string> SelfAndAncestors(string code) => Closure(code, _parents);

    private void Walk(JsonElement concepts, string? parent)
    {
        foreach (var concept in concepts.EnumerateArray())
        {
            if (!concept.TryGetProperty("code", out var c) || c.ValueKind != JsonValueKind.String)
            {
                continue;
            }
            var code = c.GetString()!;
            Node(code);
            if (parent is not null)
            {
                Link(code, parent);
            }
            if (concept.TryGetProperty("property", out var properties) && properties.ValueKind == JsonValueKind.Array)
            {
                foreach (var p in properties.EnumerateArray())
                {
                    if (p.TryGetProperty("code", out var pc) && pc.GetString() is "parent" or "subsumedBy"
                        && p.TryGetProperty("valueCode", out var v) && v.ValueKind == JsonValueKind.String)
                    {
                        Node(v.GetString()!);
                        Link(code, v.GetString()!);
                    }
                }
            }
            if (concept.TryGetProperty("concept", out var nested) && nested.ValueKind == JsonValueKind.Array)
            {
                Walk(nested, code);
            }
        }
    }

    private void Node(string code)
    {
        _parents.TryAdd(code, new HashSet<string>(StringComparer.Ordinal));
        _children.TryAdd(code, new HashSet<string>(StringComparer.Ordinal));
    }

    private void Link(string child, string parent)
    {
        _parents[child].Add(parent);
        _children[parent].Add(child);
    }

    private static HashSet<string> Closure(string start, Dictionary<string, HashSet<string>> edges)
    {
        var result = new HashSet<string>(StringComparer.Ordinal) { start };
        var queue = new Queue<string>([start]);
        while (queue.Count > 0)
        {
            foreach (var next in edges.GetValueOrDefault(queue.Dequeue()) ?? [])
            {
                if (result.Add(next))
                {
                    queue.Enqueue(next); // the visited set makes cycles in bad data terminate
                }
            }
        }
        return result;
    }
}
