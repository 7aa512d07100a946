using System.Text.Json;
using Meridian.Storage.Search;

namespace Meridian.Api.Internal.Terminology;

/// <summary>A value or why there is none (an expected failure: the client named a value set or
/// code system this server cannot expand).</summary>
internal readonly record struct Resolved<T>(T? Value, string? Error) where T : class
{
    public static Resolved<T> Fail(string error) => new(null, error);
}

/// <summary>
/// Expands value sets and reads code-system hierarchies for the token modifiers <c>:in</c>,
/// <c>:not-in</c>, <c>:above</c>, <c>:below</c>, from ValueSet and CodeSystem resources stored
/// in the tenant (found by <c>url</c>, optionally <c>url|version</c>), then from the
/// specification's own expanded value sets. Supported ValueSet content: <c>expansion.contains</c>,
/// and <c>compose.include</c>/<c>exclude</c> with explicit concepts, a whole stored code system,
/// the filters <c>is-a</c>, <c>descendent-of</c> and <c>is-not-a</c> over a stored hierarchy,
/// and imported value sets. One instance per request (it caches what it read).
/// </summary>
internal sealed class TerminologyResolver(InteractionContext ctx, string tenant)
{
    /// <summary>Most codes one expansion may produce (they become one SQL condition).</summary>
    public const int MaxCodes = 5000;
    private const int MaxDepth = 8;

    private readonly Dictionary<string, Resolved<CodeHierarchy>> _codeSystems = new(StringComparer.Ordinal);

    public async Task<Resolved<HashSet<(string System, string Code)>>> ExpandAsync(string canonical, CancellationToken ct, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            return Resolved<HashSet<(string, string)>>.Fail($"value set '{canonical}' imports value sets too deeply (or in a cycle)");
        }
        var stored = await FindAsync("ValueSet", canonical, ct).ConfigureAwait(false);
        if (stored is not null)
        {
            using (stored)
            {
                return await ExpandStoredAsync(canonical, stored.RootElement, depth, ct).ConfigureAwait(false);
            }
        }
        if (ctx.Spec.FindValueSet(canonical) is { } spec)
        {
            if (!spec.IsEnumerable)
            {
                return Resolved<HashSet<(string, string)>>.Fail($"value set '{canonical}' includes a code system that cannot be enumerated");
            }
            return new(spec.Systems.SelectMany(s => spec.CodesOf(s).Select(c => (s, c))).ToHashSet(), null);
        }
        return Resolved<HashSet<(string, string)>>.Fail($"value set '{canonical}' is not known (neither stored on this server nor in FHIR R4)");
    }

    public async Task<Resolved<CodeHierarchy>> CodeSystemAsync(string system, CancellationToken ct)
    {
        if (_codeSystems.TryGetValue(system, out var known))
        {
            return known;
        }
        var stored = await FindAsync("CodeSystem", system, ct).ConfigureAwait(false);
        Resolved<CodeHierarchy> result;
        if (stored is null)
        {
            result = Resolved<CodeHierarchy>.Fail($"code system '{system}' is not stored on this server (store it as a CodeSystem resource to search its hierarchy)");
        }
        else
        {
            using (stored)
            {
                result = new(new CodeHierarchy(system, stored.RootElement), null);
            }
        }
        _codeSystems[system] = result;
        return result;
    }

    private async Task<Resolved<HashSet<(string, string)>>> ExpandStoredAsync(string canonical, JsonElement vs, int depth, CancellationToken ct)
    {
        var codes = new HashSet<(string, string)>();
        if (!vs.TryGetProperty("compose", out var compose))
        {
            if (vs.TryGetProperty("expansion", out var expansion) && expansion.TryGetProperty("contains", out var contains))
            {
                AddContains(contains, codes);
                return new(codes, null);
            }
            return Resolved<HashSet<(string, string)>>.Fail($"value set '{canonical}' has neither compose nor expansion");
        }
        foreach (var (name, include) in new[] { ("include", true), ("exclude", false) })
        {
            if (!compose.TryGetProperty(name, out var rules) || rules.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            foreach (var rule in rules.EnumerateArray())
            {
                var part = await RuleAsync(canonical, rule, depth, ct).ConfigureAwait(false);
                if (part.Error is not null)
                {
                    return part;
                }
                if (include)
                {
                    codes.UnionWith(part.Value!);
                }
                else
                {
                    codes.ExceptWith(part.Value!);
                }
                if (codes.Count > MaxCodes)
                {
                    return Resolved<HashSet<(string, string)>>.Fail($"value set '{canonical}' expands to more than {MaxCodes} codes");
                }
            }
        }
        return new(codes, null);
    }

    /// <summary>One include/exclude: codes of its system (explicit, filtered or all) intersected with its imported value sets.</summary>
    private async Task<Resolved<HashSet<(string, string)>>> RuleAsync(string canonical, JsonElement rule, int depth, CancellationToken ct)
    {
        HashSet<(string, string)>? result = null;
        var system = rule.TryGetProperty("system", out var s) ? s.GetString() : null;
        if (system is not null)
        {
            var concepts = rule.TryGetProperty("concept", out var c) && c.ValueKind == JsonValueKind.Array ? c : default;
            var filters = rule.TryGetProperty("filter", out var f) && f.ValueKind == JsonValueKind.Array ? f : default;
            if (concepts.ValueKind == JsonValueKind.Array)
            {
                result = [.. concepts.EnumerateArray().Where(x => x.TryGetProperty("code", out _)).Select(x => (system, x.GetProperty("code").GetString()!))];
            }
            else
            {
                var hierarchy = await CodeSystemAsync(system, ct).ConfigureAwait(false);
                if (hierarchy.Error is not null)
                {
                    return Resolved<HashSet<(string, string)>>.Fail($"value set '{canonical}': {hierarchy.Error}");
                }
                IEnumerable<string> codes = hierarchy.Value!.Codes;
                if (filters.ValueKind == JsonValueKind.Array)
                {
                    foreach (var filter in filters.EnumerateArray())
                    {
                        var op = filter.TryGetProperty("op", out var o) ? o.GetString() : null;
                        var value = filter.TryGetProperty("value", out var v) ? v.GetString() ?? "" : "";
                        var property = filter.TryGetProperty("property", out var p) ? p.GetString() : null;
                        var below = hierarchy.Value.SelfAndDescendants(value);
                        HashSet<string>? kept = (property, op) switch
                        {
                            ("concept", "is-a") => below,
                            ("concept", "descendent-of") => [.. below.Where(x => x != value)],
                            ("concept", "is-not-a") => [.. hierarchy.Value.Codes.Where(x => !below.Contains(x))],
                            ("concept", "in") => [.. value.Split(',')],
                            _ => null,
                        };
                        if (kept is null)
                        {
                            return Resolved<HashSet<(string, string)>>.Fail($"value set '{canonical}': filter '{property} {op}' is not supported (is-a, descendent-of, is-not-a and in on 'concept' are)");
                        }
                        codes = codes.Where(kept.Contains).ToList();
                    }
                }
                result = [.. codes.Select(code => (system, code))];
            }
        }
        if (rule.TryGetProperty("valueSet", out var imports) && imports.ValueKind == JsonValueKind.Array)
        {
            foreach (var import in imports.EnumerateArray())
            {
                var expanded = await ExpandAsync(import.GetString() ?? "", ct, depth + 1).ConfigureAwait(false);
                if (expanded.Error is not null)
                {
                    return expanded;
                }
                if (result is null)
                {
                    result = expanded.Value!;
                }
                else
                {
                    result.IntersectWith(expanded.Value!);
                }
            }
        }
        return result is null
            ? Resolved<HashSet<(string, string)>>.Fail($"value set '{canonical}' has an include/exclude with neither system nor valueSet")
            : new(result, null);
    }

    private static void AddContains(JsonElement contains, HashSet<(string, string)> codes)
    {
        foreach (var item in contains.EnumerateArray())
        {
            if (item.TryGetProperty("system", out var s) && item.TryGetProperty("code", out var c))
            {
                codes.Add((s.GetString()!, c.GetString()!));
            }
            if (item.TryGetProperty("contains", out var nested) && nested.ValueKind == JsonValueKind.Array)
            {
                AddContains(nested, codes);
            }
        }
    }

    /// <summary>The current stored resource of <paramref name="type"/> with that canonical url (and version), or null.</summary>
    private async Task<JsonDocument?> FindAsync(string type, string canonical, CancellationToken ct)
    {
        var bar = canonical.IndexOf('|', StringComparison.Ordinal);
        var parameters = new List<KeyValuePair<string, string>> { new("url", bar < 0 ? canonical : canonical[..bar]) };
        if (bar >= 0)
        {
            parameters.Add(new("version", canonical[(bar + 1)..]));
        }
        var parsed = ctx.SearchParser.Parse(type, parameters, SearchHandling.Strict);
        if (parsed.Query is null)
        {
            return null;
        }
        var result = await ctx.Store.SearchAsync(tenant, parsed.Query with
        {
            Count = 1,
            Sort = [new SortKey("_lastUpdated", Meridian.Fhir.Specification.SearchParamType.Date, Descending: true)],
            Includes = [],
            RevIncludes = [],
        }, ct).ConfigureAwait(false);
        return result.Matches.IsEmpty ? null : JsonDocument.Parse(result.Matches[0].Json);
    }
}
