using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>
/// <c>AND(AND(a, b), c)</c> → <c>AND(a, b, c)</c> (same for OR), a one-operand AND/OR → its
/// operand, <c>NOT(NOT(x))</c> → <c>x</c>. Fewer levels mean fewer parentheses and sub-queries
/// for the SQL generator, and a canonical shape for the rewriters after this one.
/// </summary>
public sealed class FlattenRewriter : ExpressionRewriter
{
    public static FlattenRewriter Instance { get; } = new();

    protected override SearchExpression VisitAnd(AndExpression and)
    {
        var operands = Flatten<AndExpression>(and.Operands, static e => e.Operands);
        return operands.Length == 1 ? operands[0] : operands == and.Operands ? and : new AndExpression(operands);
    }

    protected override SearchExpression VisitOr(OrExpression or)
    {
        var operands = Flatten<OrExpression>(or.Operands, static e => e.Operands);
        return operands.Length == 1 ? operands[0] : operands == or.Operands ? or : new OrExpression(operands);
    }

    protected override SearchExpression VisitNot(NotExpression not) =>
        not.Operand is NotExpression inner ? inner.Operand : not;

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
        var flat = ImmutableArray.CreateBuilder<SearchExpression>();
        foreach (var o in operands)
        {
            // Children were visited first, so a nested node is already flat: one level suffices.
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
