using System.Collections.Immutable;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational;

/// <summary>
/// Whether a search can read index rows of a <see cref="StoreOptions.DeferredIndexTypes"/> type,
/// so it must wait for the deferred indexer first. Errs on the side of waiting: a system search,
/// <c>_type</c>, an include or <c>_has</c> from such a type, a chain that names it, and a chain
/// without a target type whose target condition uses a parameter the type has.
/// </summary>
internal static class DeferredIndexScope
{
    public static bool Touches(SearchQuery query, ImmutableArray<string> deferred)
    {
        if (deferred.IsDefaultOrEmpty)
        {
            return false;
        }
        if (query.ResourceType is not { } type || deferred.Contains(type))
        {
            return true;
        }
        // An include reads the reference rows of its source type (targets are read by key).
        foreach (var include in query.Includes.IsDefault ? [] : query.Includes)
        {
            if (!IsOther(include.SourceType, deferred))
            {
                return true;
            }
        }
        foreach (var include in query.RevIncludes.IsDefault ? [] : query.RevIncludes)
        {
            if (!IsOther(include.SourceType, deferred))
            {
                return true;
            }
        }
        return query.Filter is { } filter && Touches(filter, deferred);
    }

    private static bool Touches(SearchExpression expression, ImmutableArray<string> deferred) => expression switch
    {
        AndExpression and => and.Operands.Any(o => Touches(o, deferred)),
        OrExpression or => or.Operands.Any(o => Touches(o, deferred)),
        NotExpression not => Touches(not.Operand, deferred),
        TypeExpression types => types.Types.Any(deferred.Contains),
        ChainedExpression { TargetType: { } target } chain => !IsOther(target, deferred) || Touches(chain.Target, deferred),
        ChainedExpression chain => CodesOf(chain.Target).Any(code => deferred.Any(d => FhirSpec.R4.FindSearchParameter(d, code) is not null)) || Touches(chain.Target, deferred),
        ReverseChainedExpression has => !IsOther(has.SourceType, deferred) || Touches(has.Source, deferred),
        _ => false,
    };

    /// <summary>A concrete type name that is not deferred (wildcards and empty names are not).</summary>
    private static bool IsOther(string? type, ImmutableArray<string> deferred) =>
        !string.IsNullOrEmpty(type) && type != "*" && !deferred.Contains(type);

    /// <summary>The parameter codes a chain's target condition reads index rows of.</summary>
    private static IEnumerable<string> CodesOf(SearchExpression expression) => expression switch
    {
        AndExpression and => and.Operands.SelectMany(CodesOf),
        OrExpression or => or.Operands.SelectMany(CodesOf),
        NotExpression not => CodesOf(not.Operand),
        ParameterExpression p => [p.Code],
        MissingExpression m => [m.Code],
        ChainedExpression c => [c.ReferenceCode],
        _ => [],
    };
}
