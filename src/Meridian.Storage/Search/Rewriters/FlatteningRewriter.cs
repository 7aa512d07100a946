using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>
/// Normalises boolean structure so the SQL stays shallow: nested ANDs (ORs) merge into their
/// parent, a single-operand AND/OR becomes its operand, and NOT NOT x becomes x. A parser that
/// builds one node per query parameter and per comma produces exactly these shapes.
/// </summary>
public sealed class FlatteningRewriter : SearchExpressionRewriter
{
    public static FlatteningRewriter Instance { get; } = new();

    protected override SearchExpression RewriteAnd(AndExpression and)
    {
        var operands = Flatten<AndExpression>(RewriteAll(and.Operands), static a => a.Operands);
        return operands.Length == 1 ? operands[0] : operands == and.Operands ? and : new AndExpression(operands);
    }

    protected override SearchExpression RewriteOr(OrExpression or)
    {
        var operands = Flatten<OrExpression>(RewriteAll(or.Operands), static o => o.Operands);
        return operands.Length == 1 ? operands[0] : operands == or.Operands ? or : new OrExpression(operands);
    }

    protected override SearchExpression RewriteNot(NotExpression not)
    {
        var operand = Rewrite(not.Operand);
        return operand is NotExpression inner ? inner.Operand : ReferenceEquals(operand, not.Operand) ? not : new NotExpression(operand);
    }

    private static ImmutableArray<SearchExpression> Flatten<T>(ImmutableArray<SearchExpression> operands, Func<T, ImmutableArray<SearchExpression>> children)
        where T : SearchExpression
    {
        var nested = false;
        foreach (var o in operands)
        {
            nested |= o is T;
        }
        if (!nested)
        {
            return operands;
        }
        var flat = ImmutableArray.CreateBuilder<SearchExpression>(operands.Length * 2);
        foreach (var o in operands)
        {
            if (o is T same)
            {
                flat.AddRange(children(same));
            }
            else
            {
                flat.Add(o);
            }
        }
        return flat.ToImmutable();
    }
}
