using System.Text.Json.Nodes;

namespace Meridian.Api.Internal;

/// <summary>
/// Rewrites <c>Reference.reference</c> values inside resource JSON: a transaction maps each
/// entry's fullUrl (<c>urn:uuid:…</c> or absolute) to the <c>Type/id</c> it got, and resolves
/// conditional references (<c>Patient?identifier=…</c>) by search. Two synchronous walks (collect
/// the conditional references, then rewrite) around one search per distinct condition, so a
/// large Bundle costs two passes over its JSON and no per-node async machinery.
/// </summary>
internal static class ReferenceRewriter
{
    /// <returns>Null, or the first reference that could not be resolved and why.</returns>
    public static async Task<string?> RewriteAsync(IReadOnlyList<JsonNode?> resources, Dictionary<string, string> map, Func<string, Task<(string? Target, string? Error)>> resolve)
    {
        var conditional = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in resources)
        {
            Collect(r, map, conditional);
        }
        foreach (var reference in conditional)
        {
            var (target, error) = await resolve(reference).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }
            map[reference] = target!;
        }
        foreach (var r in resources)
        {
            if (Rewrite(r, map) is { } error)
            {
                return error;
            }
        }
        return null;
    }

    private static void Collect(JsonNode? node, Dictionary<string, string> map, HashSet<string> conditional)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    if (name == "reference" && value is JsonValue v && v.TryGetValue<string>(out var reference))
                    {
                        if (!map.ContainsKey(reference) && IsConditional(reference))
                        {
                            conditional.Add(reference);
                        }
                    }
                    else
                    {
                        Collect(value, map, conditional);
                    }
                }
                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Collect(item, map, conditional);
                }
                break;
        }
    }

    private static string? Rewrite(JsonNode? node, Dictionary<string, string> map)
    {
        switch (node)
        {
            case JsonObject o:
                string? replacement = null;
                foreach (var (name, value) in o)
                {
                    if (name == "reference" && value is JsonValue v && v.TryGetValue<string>(out var reference))
                    {
                        if (map.TryGetValue(reference, out var target))
                        {
                            replacement = target;
                        }
                        else if (reference.StartsWith("urn:uuid:", StringComparison.Ordinal) || reference.StartsWith("urn:oid:", StringComparison.Ordinal))
                        {
                            return $"Reference '{reference}' names no entry of the transaction.";
                        }
                    }
                    else if (Rewrite(value, map) is { } error)
                    {
                        return error;
                    }
                }
                if (replacement is not null)
                {
                    o["reference"] = replacement; // after the loop: a JsonObject cannot change while enumerated
                }
                return null;
            case JsonArray a:
                foreach (var item in a)
                {
                    if (Rewrite(item, map) is { } error)
                    {
                        return error;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    private static bool IsConditional(string reference)
    {
        var q = reference.IndexOf('?');
        return q > 0 && !reference.AsSpan(0, q).Contains('/') && !reference.Contains("://", StringComparison.Ordinal);
    }
}
