using Meridian.Fhir.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary><c>[system|]code</c>, <c>|code</c>, <c>system|</c>, <c>:text</c>, <c>:of-type</c>.</summary>
internal sealed class TokenSql : IPredicateSql
{
    public void Write(SqlBuilder sql, string alias, IndexColumns c, ValuePredicate predicate, SearchSqlContext context)
    {
        var p = (TokenPredicate)predicate;
        switch (p.Match)
        {
            case TokenMatch.Text:
                StringSql.WritePrefix(sql, $"{alias}.{c.TextNorm}", StringNormalizer.Normalize(p.Code ?? ""));
                return;
            case TokenMatch.OfType:
                sql.Append($"{alias}.{c.TypeSystem} = ").AppendParam(p.TypeSystem)
                   .Append($" AND {alias}.{c.TypeCode} = ").AppendParam(p.TypeCode)
                   .Append($" AND {alias}.{c.Code} = ").AppendParam(p.Code);
                return;
        }
        var any = false;
        if (p.Code is not null)
        {
            sql.Append($"{alias}.{c.Code} = ").AppendParam(p.Code);
            any = true;
        }
        if (p.System is not null)
        {
            sql.Append(any ? " AND " : "");
            if (p.System.Length == 0)
            {
                sql.Append($"{alias}.{c.System} IS NULL");
            }
            else
            {
                sql.Append($"{alias}.{c.System} = ").AppendParam(p.System);
            }
            any = true;
        }
        if (!any)
        {
            // Neither system nor code: any token row (the parser should not build this).
            sql.Append($"{alias}.{c.Code} IS NOT NULL");
        }
    }
}
