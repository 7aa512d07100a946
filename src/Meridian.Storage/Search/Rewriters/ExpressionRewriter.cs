using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>
/// Base for rewriters of the filter tree: walks every node bottom-up (into NOT, chains and
/// <c>_has</c>) and rebuilds a node only when a child changed, so an untouched query is returned
/// as the same instance. Subclasses override the visit of the nodes they care about.
/// </summary>
public abstract class ExpressionRewriter : ISearchQueryRewriter
{
    public virtual SearchQuery Rewrite(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Filter is null)
        {
            return query;
        }
        var filter = Rewrite(query.Filter);
        return ReferenceEquals(filter, query.Filter) ? query : query with { Filter = filter };
    }

    public SearchExpression Rewrite(SearchExpression expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return expression switch
        {
            AndExpression and => VisitAnd(RewriteOperands(and.Operands) is var ops && ops == and.Operands ? and : new AndExpression(ops)),
            OrExpression or => VisitOr(RewriteOperands(or.Operands) is var ops && ops == or.Operands ? or : new OrExpression(ops)),
            NotExpression not => VisitNot(Rewrite(not.Operand) is var o && ReferenceEquals(o, not.Operand) ? not : new NotExpression(o)),
            ChainedExpression chain => VisitChained(Rewrite(chain.Target) is var t && ReferenceEquals(t, chain.Target) ? chain : chain with { Target = t }),
            ReverseChainedExpression has => VisitReverseChained(Rewrite(has.Source) is var s && ReferenceEquals(s, has.Source) ? has : has with { Source = s }),
            _ => VisitLeaf(expression),
        };
    }

    protected virtual SearchExpression VisitAnd(AndExpression and) => and;

    protected virtual SearchExpression VisitOr(OrExpression or) => or;

    protected virtual SearchExpression VisitNot(NotExpression not) => not;

    protected virtual SearchExpression VisitChained(ChainedExpression chain) => chain;

    protected virtual SearchExpression VisitReverseChained(ReverseChainedExpression has) => has;

    protected virtual SearchExpression VisitLeaf(SearchExpression leaf) => leaf;

    private ImmutableArray<SearchExpression> RewriteOperands(ImmutableArray<SearchExpression> operands)
    {
        ImmutableArray<SearchExpression>.Builder? changed = null;
        for (var i = 0; i < operands.Length; i++)
        {
            var rewritten = Rewrite(operands[i]);
            if (changed is null && !ReferenceEquals(rewritten, operands[i]))
            {
                changed = ImmutableArray.CreateBuilder<SearchExpression>(operands.Length);
                for (var j = 0; j < i; j++)
                {
                    changed.Add(operands[j]);
                }
            }
            changed?.Add(rewritten);
        }
        return changed is null ? operands : changed.MoveToImmutable();
    }
}
