using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>Exact, <c>:below</c> (value starts with the search uri) and <c>:above</c> (the search
/// uri starts with the value). URIs compare case-sensitively.</summary>
internal sealed class UriSql : IPredicateSql
{
    public void Write(SqlBuilder sql, string alias, IndexColumns c, ValuePredicate predicate, SearchSqlContext context)
    {
        var p = (UriPredicate)predicate;
        var column = $"{alias}.{c.Uri}";
        switch (p.Match)
        {
            case UriMatch.Below:
                StringSql.WritePrefix(sql, column, p.Uri);
                break;
            case UriMatch.Above:
                var u = sql.Param(p.Uri);
                sql.Append($"{column} <= {u} AND substr({u}, 1, length({column})) = {column}");
                break;
            default:
                sql.Append($"{column} = ").AppendParam(p.Uri);
                break;
        }
    }
}
