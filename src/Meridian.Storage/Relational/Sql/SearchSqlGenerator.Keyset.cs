using Meridian.Storage.Search;

namespace Meridian.Storage.Relational.Sql;

public sealed partial class SearchSqlGenerator
{
    /// <summary>
    /// One page of a sorted search with a keyset cursor: the inner statement computes each sort
    /// key as a column (<c>s0</c>, <c>s1</c>…), the outer one keeps the rows that sort after the
    /// previous page's last row (its sort values and surrogate key, <paramref name="after"/>) and
    /// orders by the same keys, NULLS LAST, then the key. Rows inserted or deleted between page
    /// fetches therefore never shift the pages (an offset would repeat or skip rows).
    /// The statement selects <see cref="ResourceColumns"/> followed by the sort values.
    /// </summary>
    public SqlStatement SortedPage(string tenant, SearchQuery query, int limit, DateTimeOffset now, SortCursor? after, SearchPlan? plan = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new SqlBuilder(_dialect);
        sql.Append("SELECT ").Append(string.Join(", ", ResourceColumns.Split(", ").Select(c => "q." + c)));
        for (var i = 0; i < query.Sort.Length; i++)
        {
            sql.Append($", q.s{i}");
        }
        sql.Append(" FROM (SELECT ").Append(Prefixed("r"));
        for (var i = 0; i < query.Sort.Length; i++)
        {
            sql.Append(", ");
            SortValue(sql, query.Sort[i]);
            sql.Append($" AS s{i}");
        }
        sql.Append(" FROM resources r WHERE ");
        Where(sql, tenant, query, now, plan);
        sql.Append(") q");
        if (after is not null)
        {
            sql.Append(" WHERE ");
            KeysetCondition(sql, query, after);
        }
        sql.Append(" ORDER BY ");
        for (var i = 0; i < query.Sort.Length; i++)
        {
            sql.Append($"q.s{i}").Append(query.Sort[i].Descending ? " DESC" : " ASC").Append(" NULLS LAST, ");
        }
        sql.Append("q.resource_key LIMIT ").AppendParam((long)limit + 1);
        return sql.Build();
    }

    private static void SortValue(SqlBuilder sql, SortKey key)
    {
        switch (key.Code)
        {
            case "_id":
                sql.Append("r.id");
                return;
            case "_lastUpdated":
                sql.Append("r.last_updated");
                return;
        }
        var table = IndexTables.ForType(key.Type) ?? throw new NotSupportedException($"sorting by {key.Type}");
        var column = ExpressionSql.SortColumn(key.Type, key.Descending);
        sql.Append($"(SELECT {(key.Descending ? "max" : "min")}(o.{column}) FROM {table.Name} o WHERE o.resource_key = r.resource_key AND o.param = ")
           .AppendParam(key.Code).Append(")");
    }

    /// <summary>(s0 after v0) OR (s0 = v0 AND s1 after v1) … OR (all equal AND key &gt; k), with NULLS LAST.</summary>
    private static void KeysetCondition(SqlBuilder sql, SearchQuery query, SortCursor after)
    {
        sql.Append("(");
        for (var level = 0; level <= query.Sort.Length; level++)
        {
            sql.Append(level == 0 ? "(" : " OR (");
            for (var i = 0; i < level; i++)
            {
                var v = after.Values[i];
                sql.Append(v is null ? $"q.s{i} IS NULL" : $"q.s{i} = {sql.Param(v)}").Append(" AND ");
            }
            if (level == query.Sort.Length)
            {
                sql.Append("q.resource_key > ").AppendParam(after.Key);
            }
            else if (after.Values[level] is { } value)
            {
                var op = query.Sort[level].Descending ? "<" : ">";
                var p = sql.Param(value);
                sql.Append($"(q.s{level} {op} {p} OR q.s{level} IS NULL)");
            }
            else
            {
                sql.Append("1 = 0"); // nulls sort last: only equal (null) values follow a null
            }
            sql.Append(")");
        }
        sql.Append(")");
    }
}

/// <summary>The last row of a sorted page: its sort values (as the database returned them) and surrogate key.</summary>
public sealed record SortCursor(IReadOnlyList<object?> Values, long Key);
