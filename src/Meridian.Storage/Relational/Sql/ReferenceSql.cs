using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary><c>[Type/]id</c>, <c>Type/id/_history/v</c>, absolute and canonical URLs (<c>url|version</c>).</summary>
internal sealed class ReferenceSql : IPredicateSql
{
    public void Write(SqlBuilder sql, string alias, IndexColumns c, ValuePredicate predicate, SearchSqlContext context)
    {
        var p = (ReferencePredicate)predicate;
        if (p.Url is not null)
        {
            sql.Append($"{alias}.{c.Url} = ").AppendParam(p.Url);
        }
        else
        {
            sql.Append($"{alias}.{c.RefId} = ").AppendParam(p.Id ?? "");
            if (p.ResourceType is not null)
            {
                sql.Append($" AND {alias}.{c.RefType} = ").AppendParam(p.ResourceType);
            }
        }
        if (p.Version is not null && c.RefVersion is not null)
        {
            sql.Append($" AND {alias}.{c.RefVersion} = ").AppendParam(p.Version);
        }
    }
}
