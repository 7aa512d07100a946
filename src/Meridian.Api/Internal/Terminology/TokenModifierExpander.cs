using System.Text;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;

namespace Meridian.Api.Internal.Terminology;

/// <summary>
/// Terminology modifiers of token parameters, answered by expansion before the search parser
/// sees them (so the store and its SQL need nothing new):
/// <c>code:in=vs</c> → <c>code=sys|a,sys|b,…</c>; <c>code:not-in=vs</c> → <c>code:not=…</c>
/// (no value of the parameter in the set, which includes resources without one);
/// <c>code:below=sys|c</c> → c and every code it subsumes; <c>code:above=sys|c</c> → c and
/// every code that subsumes it, from a CodeSystem resource stored in the tenant. Comma-separated
/// values are a union. An unknown value set or code system is a 400 with a clear message.
/// </summary>
internal static class TokenModifierExpander
{
    /// <summary>A system no resource uses: a token <c>system|</c> on it matches nothing (empty expansion).</summary>
    private const string NoCodes = "urn:meridian:empty-expansion";

    public static async Task<(List<KeyValuePair<string, string>> Parameters, FhirResponse? Error)> ExpandAsync(
        string? type, List<KeyValuePair<string, string>> parameters, InteractionContext ctx, string tenant, CancellationToken ct)
    {
        if (!parameters.Exists(kv => Modifier(kv.Key).Modifier is "in" or "not-in" or "above" or "below"))
        {
            return (parameters, null);
        }
        var resolver = new TerminologyResolver(ctx, tenant);
        var result = new List<KeyValuePair<string, string>>(parameters.Count);
        foreach (var kv in parameters)
        {
            var (name, modifier) = Modifier(kv.Key);
            if (modifier is not ("in" or "not-in" or "above" or "below")
                || ctx.Spec.FindSearchParameter(type ?? "Resource", name) is not { Type: SearchParamType.Token })
            {
                result.Add(kv); // uri :above/:below and anything else stay with the parser
                continue;
            }
            var codes = new HashSet<(string System, string Code)>();
            foreach (var value in kv.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var expanded = modifier is "in" or "not-in"
                    ? await resolver.ExpandAsync(value, ct).ConfigureAwait(false)
                    : await SubsumptionAsync(resolver, value, modifier == "below", ct).ConfigureAwait(false);
                if (expanded.Error is not null)
                {
                    return (result, FhirResponse.Error(400, IssueType.NotSupported, $"{kv.Key}={kv.Value}: {expanded.Error}."));
                }
                codes.UnionWith(expanded.Value!);
            }
            if (codes.Count > TerminologyResolver.MaxCodes)
            {
                return (result, FhirResponse.Error(400, IssueType.TooCostly, $"{kv.Key}={kv.Value} expands to more than {TerminologyResolver.MaxCodes} codes."));
            }
            var tokens = codes.Count == 0
                ? NoCodes + "|"
                : string.Join(',', codes.OrderBy(c => c.System, StringComparer.Ordinal).ThenBy(c => c.Code, StringComparer.Ordinal)
                    .Select(c => Escape(c.System) + "|" + Escape(c.Code)));
            if (modifier == "not-in")
            {
                if (codes.Count > 0)
                {
                    result.Add(new(name + ":not", tokens));
                }
                // not in an empty set: every resource qualifies, so the parameter drops out.
            }
            else
            {
                result.Add(new(name, tokens));
            }
        }
        return (result, null);
    }

    private static async Task<Resolved<HashSet<(string System, string Code)>>> SubsumptionAsync(TerminologyResolver resolver, string value, bool below, CancellationToken ct)
    {
        var bar = value.IndexOf('|', StringComparison.Ordinal);
        if (bar <= 0 || bar == value.Length - 1)
        {
            return Resolved<HashSet<(string, string)>>.Fail("subsumption needs system|code");
        }
        var (system, code) = (value[..bar], value[(bar + 1)..]);
        var hierarchy = await resolver.CodeSystemAsync(system, ct).ConfigureAwait(false);
        if (hierarchy.Error is not null)
        {
            return Resolved<HashSet<(string, string)>>.Fail(hierarchy.Error);
        }
        if (!hierarchy.Value!.Contains(code))
        {
            return Resolved<HashSet<(string, string)>>.Fail($"code '{code}' is not in code system '{system}'");
        }
        var codes = below ? hierarchy.Value.SelfAndDescendants(code) : hierarchy.Value.SelfAndAncestors(code);
        return new(codes.Select(c => (system, c)).ToHashSet(), null);
    }

    private static (string Name, string? Modifier) Modifier(string key)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 || key.Contains('.', StringComparison.Ordinal) ? (key, null) : (key[..colon], key[(colon + 1)..]);
    }

    /// <summary>Search-value escaping (<c>\,</c> <c>\|</c> <c>\$</c> <c>\\</c>).</summary>
    private static string Escape(string s)
    {
        if (s.AsSpan().IndexOfAny("\\,|$") < 0)
        {
            return s;
        }
        var sb = new StringBuilder(s.Length + 4);
        foreach (var ch in s)
        {
            if (ch is '\\' or ',' or '|' or '$')
            {
                sb.Append('\\');
            }
            sb.Append(ch);
        }
        return sb.ToString();
    }
}
