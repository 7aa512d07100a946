using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Api;
using Meridian.Fhir.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Subscriptions.Matching;

/// <summary>A value a matching resource must carry: a token code or a reference id of one parameter.</summary>
public readonly record struct AnchorKey(bool IsReference, string Code, string Value);

/// <summary>
/// A subscription's criteria for one resource type, parsed once by the API's own search parser
/// (<see cref="SpecSearchQueryParser"/>, strict): the filter, whether it can be evaluated in
/// memory (<see cref="CriteriaEvaluator.Supports"/>), and its anchors — a set of token/reference
/// values at least one of which every matching resource carries (empty: no anchor, the
/// criteria must be checked against every resource of the type).
/// </summary>
public sealed record CompiledCriteria(string Type, SearchExpression? Filter, bool InMemory, ImmutableArray<AnchorKey> Anchors)
{
    // Result-shaping parameters do not change which resources match.
    internal static readonly HashSet<string> Ignored = new(StringComparer.Ordinal) { "_count", "_sort", "_include", "_revinclude", "_summary", "_elements", "_total", "_format", "_pretty" };

    /// <summary>Parses <paramref name="parameters"/> for <paramref name="type"/>; criteria that do not parse are not in-memory (the search path reports them).</summary>
    public static CompiledCriteria Compile(string type, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var kept = parameters.Where(p => !Ignored.Contains(p.Key)).ToList();
        var parsed = SpecSearchQueryParser.R4.Parse(type, kept, SearchHandling.Strict);
        if (parsed.Query is not { } query || !CriteriaEvaluator.Supports(query.Filter))
        {
            return new CompiledCriteria(type, null, false, []);
        }
        return new CompiledCriteria(type, query.Filter, true, Anchor(query.Filter) ?? []);
    }

    /// <summary>The keys extracted from a resource that <see cref="Anchors"/> are compared with.</summary>
    public static IEnumerable<AnchorKey> KeysOf(ResourceFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        foreach (var (code, values) in facts.All)
        {
            foreach (var v in values)
            {
                switch (v)
                {
                    case TokenValue { Code: { } c }:
                        yield return new AnchorKey(false, code, c);
                        break;
                    case ReferenceValue { Id: { } id }:
                        yield return new AnchorKey(true, code, id);
                        break;
                }
            }
        }
    }

    /// <summary>Keys one of which a match must carry, or null when the filter has none.</summary>
    private static ImmutableArray<AnchorKey>? Anchor(SearchExpression? e)
    {
        switch (e)
        {
            case ParameterExpression { Predicate: TokenPredicate { Match: TokenMatch.Code, Code: { } code } } p:
                return [new AnchorKey(false, p.Code, code)];
            case ParameterExpression { Predicate: ReferencePredicate { Url: null, Id: { Length: > 0 } id } } p:
                return [new AnchorKey(true, p.Code, id)];
            case OrExpression or:
                var keys = ImmutableArray.CreateBuilder<AnchorKey>();
                foreach (var operand in or.Operands)
                {
                    if (Anchor(operand) is not { } k)
                    {
                        return null;
                    }
                    keys.AddRange(k);
                }
                return keys.ToImmutable();
            case AndExpression and:
                ImmutableArray<AnchorKey>? best = null;
                foreach (var operand in and.Operands)
                {
                    if (Anchor(operand) is { } k && (best is null || k.Length < best.Value.Length))
                    {
                        best = k;
                    }
                }
                return best;
            default:
                return null;
        }
    }
}

/// <summary>Compiled criteria by their text, shared by every index rebuild (criteria rarely change; views often do).</summary>
public sealed class CriteriaCache
{
    private readonly ConcurrentDictionary<string, CompiledCriteria> _compiled = new(StringComparer.Ordinal);

    public CompiledCriteria Get(string type, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var key = type + "?" + string.Join("&", parameters.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        return _compiled.GetOrAdd(key, _ => CompiledCriteria.Compile(type, parameters));
    }
}
