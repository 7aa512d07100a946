using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>
/// A search across all types whose top-level filter allows exactly one type (<c>_type=Patient</c>)
/// becomes a search of that type: the type then scopes every index sub-query
/// (<c>type = 'Patient'</c> uses the (tenant, type, param, value) indexes) instead of being one
/// more condition on the resources table.
/// </summary>
public sealed class TypeRestrictionRewriter : ISearchQueryRewriter
{
    public static TypeRestrictionRewriter Instance { get; } = new();

    public SearchQuery Rewrite(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.ResourceType is not null)
        {
            return query;
        }
        switch (query.Filter)
        {
            case TypeExpression { Types.Length: 1 } only:
                return query with { ResourceType = only.Types[0], Filter = null };
            case AndExpression and:
                for (var i = 0; i < and.Operands.Length; i++)
                {
                    if (and.Operands[i] is TypeExpression { Types.Length: 1 } type)
                    {
                        var rest = and.Operands.RemoveAt(i);
                        SearchExpression? filter = rest.Length switch
                        {
                            0 => null,
                            1 => rest[0],
                            _ => new AndExpression(rest),
                        };
                        return query with { ResourceType = type.Types[0], Filter = filter };
                    }
                }
                return query;
            default:
                return query;
        }
    }
}
