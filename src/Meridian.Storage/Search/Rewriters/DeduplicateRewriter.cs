using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>
/// Drops operands equal to an earlier operand of the same AND/OR (<c>code=a,a</c>, or
/// <c>code=a&amp;code=a</c>): x AND x = x OR x = x, and each duplicate would cost a sub-query.
/// Order of first occurrence is kept, so results are deterministic.
/// </summary>
public sealed class DeduplicateRewriter : SearchExpressionRewriter
{
    public static DeduplicateRewriter Instance { get; } = new();

    protected override SearchExpression RewriteAnd(AndExpression and)
    {
        // The base rewrites the operands first (bottom-up), then duplicates are compared as rewritten.
        var rebuilt = (AndExpression)base.RewriteAnd(and);
        var ops = Distinct(rebuilt.Operands);
        return ops == rebuilt.Operands ? rebuilt : ops.Length == 1 ? ops[0] : new AndExpression(ops);
    }

    protected override SearchExpression RewriteOr(OrExpression or)
    {
        var rebuilt = (OrExpression)base.RewriteOr(or);
        var ops = Distinct(rebuilt.Operands);
        return ops == rebuilt.Operands ? rebuilt : ops.Length == 1 ? ops[0] : new OrExpression(ops);
    }

    private static ImmutableArray<SearchExpression> Distinct(ImmutableArray<SearchExpression> operands)
    {
        // Operand lists are short (one per value or parameter): a quadratic scan beats hashing.
        ImmutableArray<SearchExpression>.Builder? kept = null;
        for (var i = 0; i < operands.Length; i++)
        {
            var duplicate = false;
            for (var j = 0; j < i && !duplicate; j++)
            {
                duplicate = operands[j].Equals(operands[i]);
            }
            if (duplicate && kept is null)
            {
                kept = ImmutableArray.CreateBuilder<SearchExpression>(operands.Length);
                for (var k = 0; k < i; k++)
                {
                    kept.Add(operands[k]);
                }
            }
            else if (!duplicate)
            {
                kept?.Add(operands[i]);
            }
        }
        return kept is null ? operands : kept.ToImmutable();
    }
}
