using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Api.Authorization;

/// <summary>
/// What a search reaches beyond its own type, checked before it runs: <c>_revinclude</c> sources
/// and explicitly typed <c>_include</c> targets must be readable (else 403; untyped include
/// targets the caller may not read are left out of the Bundle by <see cref="AuthorizingStore"/>);
/// chain targets and <c>_has</c> sources must be searchable (else 403), and where the caller's
/// access to them is conditional (patient compartment, restrictions) that condition is added
/// inside the chain, so a chain cannot test properties of resources the caller may not see.
/// </summary>
internal static class SearchAccess
{
    public static (SearchQuery? Query, FhirResponse? Refusal) Authorize(AccessPolicy? policy, ISearchQueryParser parser, SearchQuery query)
    {
        if (policy is null || policy.IsUnrestricted)
        {
            return (query, null);
        }
        foreach (var inc in query.Includes)
        {
            if (inc.TargetType is { } t && policy.GrantFor(t, ScopePermissions.Read) is null)
            {
                return (null, AccessGate.Forbidden($"_include of {t} needs read access to {t}."));
            }
        }
        foreach (var rev in query.RevIncludes)
        {
            if (policy.GrantFor(rev.SourceType, ScopePermissions.Read) is null)
            {
                return (null, AccessGate.Forbidden($"_revinclude of {rev.SourceType} needs read access to {rev.SourceType}."));
            }
        }
        if (query.Filter is null)
        {
            return (query, null);
        }
        var walker = new Walker(policy, parser);
        var filter = walker.Visit(query.Filter, query.ResourceType);
        return walker.Refusal is { } refusal ? (null, AccessGate.Forbidden(refusal)) : (query with { Filter = filter }, null);
    }

    private sealed class Walker(AccessPolicy policy, ISearchQueryParser parser)
    {
        public string? Refusal { get; private set; }

        public SearchExpression Visit(SearchExpression e, string? type)
        {
            if (Refusal is not null)
            {
                return e;
            }
            switch (e)
            {
                case AndExpression and:
                    return new AndExpression([.. and.Operands.Select(o => Visit(o, type))]);
                case OrExpression or:
                    return new OrExpression([.. or.Operands.Select(o => Visit(o, type))]);
                case NotExpression not:
                    return new NotExpression(Visit(not.Operand, type));
                case ChainedExpression chain:
                    return Chain(chain, type);
                case ReverseChainedExpression has:
                    var sourceFilter = Condition(has.SourceType, $"_has:{has.SourceType}");
                    return Refusal is not null ? e : has with { Source = GrantFilter.Combine(Visit(has.Source, has.SourceType), sourceFilter)! };
                default:
                    return e;
            }
        }

        private SearchExpression Chain(ChainedExpression chain, string? type)
        {
            if (chain.TargetType is { } target)
            {
                var targetFilter = Condition(target, $"the chain {chain.ReferenceCode}:{target}");
                return Refusal is not null ? chain : chain with { Target = GrantFilter.Combine(Visit(chain.Target, target), targetFilter)! };
            }
            var targets = PossibleTargets(type, chain.ReferenceCode);
            foreach (var t in targets)
            {
                var grant = policy.GrantFor(t, ScopePermissions.Search);
                if (grant is null)
                {
                    Refusal = $"The chain {chain.ReferenceCode} may reach {t}, which your access does not allow searching; name the target type ({chain.ReferenceCode}:Type.…).";
                    return chain;
                }
                if (!grant.IsFull)
                {
                    Refusal = $"The chain {chain.ReferenceCode} may reach {t}, which you may search only in part; name the target type ({chain.ReferenceCode}:Type.…).";
                    return chain;
                }
            }
            return chain with { Target = Visit(chain.Target, null) };
        }

        /// <summary>The condition to add inside a chain into <paramref name="type"/> (null: none), or a refusal.</summary>
        private SearchExpression? Condition(string type, string what)
        {
            var grant = policy.GrantFor(type, ScopePermissions.Search);
            if (grant is null)
            {
                Refusal = $"{what} needs search access to {type}.";
                return null;
            }
            if (!GrantFilter.TryBuild(policy, parser, grant, type, out var filter))
            {
                Refusal = $"{what} reaches no {type} your access allows.";
                return null;
            }
            return filter;
        }

        private IEnumerable<string> PossibleTargets(string? type, string code)
        {
            var spec = policy.Spec;
            var definitions = type is not null
                ? new[] { spec.FindSearchParameter(type, code) }.OfType<Fhir.Specification.SearchParameterDefinition>()
                : spec.SearchParameters.Where(p => p.Code == code);
            var targets = definitions.SelectMany(d => d.Target).Distinct(StringComparer.Ordinal).ToList();
            // A reference parameter without declared targets may point anywhere.
            return targets.Count == 0 ? spec.ResourceTypes : targets.Where(spec.IsResourceType);
        }
    }
}
