using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>
/// Base of the small named passes a compiled search goes through before SQL generation (after
/// microsoft/fhir-server's rewriters): by default rebuilds nothing and returns the same
/// instances, so a pass overrides only the nodes it changes and unchanged trees stay shared.
/// </summary>
public abstract class SearchExpressionRewriter
{
    public virtual SearchExpression Rewrite(SearchExpression expression) => expression switch
    {
        AndExpression and => RewriteAnd(and),
        OrExpression or => RewriteOr(or),
        NotExpression not => RewriteNot(not),
        ChainedExpression chain => RewriteChain(chain),
        ReverseChainedExpression has => RewriteReverseChain(has),
        _ => expression,
    };

    protected virtual SearchExpression RewriteAnd(AndExpression and)
    {
        ArgumentNullException.ThrowIfNull(and);
        var operands = RewriteAll(and.Operands);
        return operands == and.Operands ? and : new AndExpression(operands);
    }

    protected virtual SearchExpression RewriteOr(OrExpression or)
    {
        ArgumentNullException.ThrowIfNull(or);
        var operands = RewriteAll(or.Operands);
        return operands == or.Operands ? or : new OrExpression(operands);
    }

    protected virtual SearchExpression RewriteNot(NotExpression not)
    {
        ArgumentNullException.ThrowIfNull(not);
        var operand = Rewrite(not.Operand);
        return ReferenceEquals(operand, not.Operand) ? not : new NotExpression(operand);
    }

    protected virtual SearchExpression RewriteChain(ChainedExpression chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var target = Rewrite(chain.Target);
        return ReferenceEquals(target, chain.Target) ? chain : chain with { Target = target };
    }

    protected virtual SearchExpression RewriteReverseChain(ReverseChainedExpression has)
    {
        ArgumentNullException.ThrowIfNull(has);
        var source = Rewrite(has.Source);
        return ReferenceEquals(source, has.Source) ? has : has with { Source = source };
    }

    /// <summary>The rewritten operands, or the same array when nothing changed.</summary>
    protected ImmutableArray<SearchExpression> RewriteAll(ImmutableArray<SearchExpression> operands)
    {
        ImmutableArray<SearchExpression>.Builder? changed = null;
        for (var i = 0; i < operands.Length; i++)
        {
            var rewritten = Rewrite(operands[i]);
            if (changed is null && !ReferenceEquals(rewritten, operands[i]))
            {
                changed = ImmutableArray.CreateBuilder<SearchExpression>(operands.Length);
                changed.AddRange(operands, i);
            }
            changed?.Add(rewritten);
        }
        return changed?.ToImmutable() ?? operands;
    }
}
