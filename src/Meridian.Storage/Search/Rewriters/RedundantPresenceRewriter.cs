using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>
/// Drops <c>p:missing=false</c> from an AND that also requires a value of <c>p</c> to match
/// (a plain parameter condition, or an OR of them, on the same code): a matching value implies
/// the parameter is present, so the presence sub-query only costs time.
/// </summary>
public sealed class RedundantPresenceRewriter : SearchExpressionRewriter
{
    public static RedundantPresenceRewriter Instance { get; } = new();

    protected override SearchExpression RewriteAnd(AndExpression and)
    {
        and = (AndExpression)base.RewriteAnd(and);
        ImmutableArray<SearchExpression>.Builder? kept = null;
        for (var i = 0; i < and.Operands.Length; i++)
        {
            var o = and.Operands[i];
            var redundant = o is MissingExpression { IsMissing: false } m && RequiresValue(and.Operands, m.Code);
            if (redundant && kept is null)
            {
                kept = ImmutableArray.CreateBuilder<SearchExpression>(and.Operands.Length);
                for (var k = 0; k < i; k++)
                {
                    kept.Add(and.Operands[k]);
                }
            }
            else if (!redundant)
            {
                kept?.Add(o);
            }
        }
        return kept is null ? and : kept.Count == 1 ? kept[0] : new AndExpression(kept.ToImmutable());
    }

    private static bool RequiresValue(ImmutableArray<SearchExpression> operands, string code)
    {
        foreach (var o in operands)
        {
            if (Requires(o, code))
            {
                return true;
            }
        }
        return false;
    }

    private static bool Requires(SearchExpression e, string code)
    {
        switch (e)
        {
            case ParameterExpression p:
                return p.Code == code;
            case OrExpression or:
                foreach (var o in or.Operands)
                {
                    if (!Requires(o, code))
                    {
                        return false;
                    }
                }
                return or.Operands.Length > 0;
            default:
                return false;
        }
    }
}
