using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Meridian.Hl7.Fhir.Conversion;

/// <summary>
/// Sets values at FHIR paths with FHIR Shorthand's soft indexes: <c>[+]</c> appends a new
/// element, <c>[=]</c> reuses the last one (a new one when there is none), <c>[n]</c> is element
/// n. A primitive already set is never overwritten: the first rule that yields a value wins,
/// which is how a later constant acts as a default.
/// </summary>
internal static class JsonPaths
{
    private enum IndexKind
    {
        None,
        Append,
        Last,
        Number,
    }

    private readonly record struct Step(string Name, IndexKind Kind, int Number);

    /// <summary>Parsed paths. Paths come from the mapping files (a few hundred, each set for every
    /// message), so parsing them once instead of per value cut a measurable share of the
    /// conversion; the bound keeps a pathological mapping from growing it without end.</summary>
    private static readonly ConcurrentDictionary<string, Step[]> s_steps = new(StringComparer.Ordinal);

    private const int MaxCachedPaths = 4096;

    /// <summary>Sets <paramref name="value"/> at <paramref name="path"/>; a leading <c>?</c> skips it when the first element is already present (a fallback).</summary>
    public static void Set(JsonObject root, string path, JsonNode value)
    {
        if (path.StartsWith('?'))
        {
            path = path[1..];
            var name = Steps(path)[0].Name;
            // A choice element counts whatever its type: ?deceasedBoolean is skipped after deceasedDateTime.
            var upper = name.AsSpan().IndexOfAnyInRange('A', 'Z');
            var stem = upper > 0 ? name[..upper] : name;
            foreach (var (key, _) in root)
            {
                if (key == name || (upper > 0 && key.StartsWith(stem, StringComparison.Ordinal)))
                {
                    return;
                }
            }
        }
        var steps = Steps(path);
        JsonObject node = root;
        for (var i = 0; i < steps.Length; i++)
        {
            var step = steps[i];
            var last = i == steps.Length - 1;
            if (step.Kind == IndexKind.None)
            {
                if (last)
                {
                    if (node[step.Name] is null)
                    {
                        node[step.Name] = value;
                    }
                    else if (node[step.Name] is JsonObject existing && value is JsonObject incoming)
                    {
                        Merge(existing, incoming);
                    }
                    return;
                }
                if (node[step.Name] is not JsonObject child)
                {
                    if (node[step.Name] is not null)
                    {
                        return; // a primitive sits where an object is wanted: the first value wins
                    }
                    child = [];
                    node[step.Name] = child;
                }
                node = child;
                continue;
            }
            if (node[step.Name] is not JsonArray array)
            {
                array = [];
                node[step.Name] = array;
            }
            var index = step.Kind switch
            {
                IndexKind.Append => array.Count,
                IndexKind.Last => Math.Max(array.Count - 1, 0),
                _ => step.Number,
            };
            while (array.Count <= index)
            {
                array.Add(last && array.Count == index ? null : new JsonObject());
            }
            if (last)
            {
                if (array[index] is null || array[index] is JsonObject { Count: 0 })
                {
                    array[index] = value;
                }
                else if (array[index] is JsonObject existing && value is JsonObject incoming)
                {
                    Merge(existing, incoming);
                }
                return;
            }
            if (array[index] is not JsonObject element)
            {
                return;
            }
            node = element;
        }
    }

    /// <summary>Adds the properties of <paramref name="incoming"/> that <paramref name="target"/> lacks.</summary>
    private static void Merge(JsonObject target, JsonObject incoming)
    {
        foreach (var (name, value) in incoming.ToList())
        {
            if (target[name] is null && value is not null)
            {
                incoming.Remove(name);
                target[name] = value;
            }
        }
    }

    /// <summary>Removes empty objects, arrays and array holes left by padding.</summary>
    public static bool Prune(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                // Children are pruned while enumerating (that changes only the children) and the
                // empty ones removed afterwards: no copy of every object's properties, which was
                // a tenth of the conversion's allocations.
                List<string>? empty = null;
                foreach (var (name, child) in obj)
                {
                    if (Prune(child))
                    {
                        (empty ??= []).Add(name);
                    }
                }
                if (empty is not null)
                {
                    foreach (var name in empty)
                    {
                        obj.Remove(name);
                    }
                }
                return obj.Count == 0;
            case JsonArray array:
                for (var i = array.Count - 1; i >= 0; i--)
                {
                    if (Prune(array[i]))
                    {
                        array.RemoveAt(i);
                    }
                }
                return array.Count == 0;
            case null:
                return true;
            default:
                return false;
        }
    }

    private static Step[] Steps(string path)
    {
        if (s_steps.TryGetValue(path, out var steps))
        {
            return steps;
        }
        steps = [.. Parse(path)];
        if (s_steps.Count < MaxCachedPaths)
        {
            s_steps.TryAdd(path, steps);
        }
        return steps;
    }

    private static List<Step> Parse(string path)
    {
        var steps = new List<Step>();
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            if (bracket < 0)
            {
                steps.Add(new Step(part, IndexKind.None, 0));
                continue;
            }
            var name = part[..bracket];
            var inner = part[(bracket + 1)..].TrimEnd(']');
            steps.Add(inner switch
            {
                "+" => new Step(name, IndexKind.Append, 0),
                "=" => new Step(name, IndexKind.Last, 0),
                _ => new Step(name, IndexKind.Number, int.TryParse(inner, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0),
            });
        }
        return steps;
    }
}
