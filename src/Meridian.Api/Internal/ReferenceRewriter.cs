using System.Text.Json.Nodes;

namespace Meridian.Api.Internal;

/// <summary>
/// Rewrites <c>Reference.reference</c> values inside a resource's JSON: a transaction maps each
/// entry's fullUrl (<c>urn:uuid:…</c> or absolute) to the <c>Type/id</c> it got, and resolves
/// conditional references (<c>Patient?identifier=…</c>) through <paramref name="resolve"/>.
/// </summary>
internal static class ReferenceRewriter
{
    /// <returns>Null, or the first reference that could not be resolved and why.</returns>
    public static async Task<string?> RewriteAsync(JsonNode? node, IReadOnlyDictionary<string, string> map, Func<string, Task<(string? Target, string? Error)>> resolve)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o.ToList())
                {
                    if (name == "reference" && value is JsonValue v && v.TryGetValue<string>(out var reference))
                    {
                        if (map.TryGetValue(reference, out var target))
                        {
                            o[name] = target;
                        }
                        else if (IsConditional(reference))
                        {
                            var (resolved, error) = await resolve(reference).ConfigureAwait(false);
                            if (error is not null)
                            {
                                return error;
                            }
                            o[name] = resolved;
                        }
                        else if (reference.StartsWith("urn:uuid:", StringComparison.Ordinal) || reference.StartsWith("urn:oid:", StringComparison.Ordinal))
                        {
                            return $"Reference '{reference}' names no entry of the transaction.";
                        }
                    }
                    else if (await RewriteAsync(value, map, resolve).ConfigureAwait(false) is { } error)
                    {
                        return error;
                    }
                }
                return null;
            case JsonArray a:
                foreach (var item in a)
                {
                    if (await RewriteAsync(item, map, resolve).ConfigureAwait(false) is { } error)
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
