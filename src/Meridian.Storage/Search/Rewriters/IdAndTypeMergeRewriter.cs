using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>
/// Merges the <c>_id</c> and <c>_type</c> lists of one AND/OR into a single list each: OR takes
/// the union, AND the intersection (possibly empty, which matches nothing). One
/// <c>id IN (…)</c> on the resources table is cheaper than several, and <see cref="TypeRestrictionRewriter"/>
/// can then see whether exactly one type remains.
/// </summary>
public sealed class IdAndTypeMergeRewriter : SearchExpressionRewriter
{
    public static IdAndTypeMergeRewriter Instance { get; } = new();

    protected override SearchExpression RewriteAnd(AndExpression and)
    {
        var rebuilt = (AndExpression)base.RewriteAnd(and);
        return Merge(rebuilt.Operands, intersect: true, rebuilt);
    }

    protected override SearchExpression RewriteOr(OrExpression or)
    {
        var rebuilt = (OrExpression)base.RewriteOr(or);
        return Merge(rebuilt.Operands, intersect: false, rebuilt);
    }

    private static SearchExpression Merge(ImmutableArray<SearchExpression> operands, bool intersect, SearchExpression original)
    {
        int ids = 0, types = 0;
        foreach (var o in operands)
        {
            ids += o is IdExpression ? 1 : 0;
            types += o is TypeExpression ? 1 : 0;
        }
        if (ids < 2 && types < 2)
        {
            return original;
        }
        List<string>? idList = null, typeList = null;
        var result = ImmutableArray.CreateBuilder<SearchExpression>(operands.Length);
        foreach (var o in operands)
        {
            switch (o)
            {
                case IdExpression id when ids > 1:
                    if (idList is null)
                    {
                        idList = [.. id.Ids];
                        result.Add(o); // placeholder keeps the first list's position
                    }
                    else
                    {
                        Combine(idList, id.Ids, intersect);
                    }
                    break;
                case TypeExpression type when types > 1:
                    if (typeList is null)
                    {
                        typeList = [.. type.Types];
                        result.Add(o);
                    }
                    else
                    {
                        Combine(typeList, type.Types, intersect);
                    }
                    break;
                default:
                    result.Add(o);
                    break;
            }
        }
        for (var i = 0; i < result.Count; i++)
        {
            result[i] = result[i] switch
            {
                IdExpression when idList is not null => new IdExpression([.. idList]),
                TypeExpression when typeList is not null => new TypeExpression([.. typeList]),
                var other => other,
            };
        }
        if (result.Count == 1)
        {
            return result[0];
        }
        var merged = result.ToImmutable();
        return intersect ? new AndExpression(merged) : new OrExpression(merged);
    }

    private static void Combine(List<string> into, ImmutableArray<string> other, bool intersect)
    {
        if (intersect)
        {
            into.RemoveAll(v => !other.Contains(v));
        }
        else
        {
            foreach (var v in other)
            {
                if (!into.Contains(v))
                {
                    into.Add(v);
                }
            }
        }
    }
}
