using System.Collections.Immutable;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Rewriters;

namespace Meridian.Storage.Relational.Sql;

/// <summary>The date envelope as a page driver (docs/adr/0011-search-sql-shapes.md, second addendum).</summary>
public sealed partial class SearchSqlGenerator
{
    /// <summary>
    /// The bounded count that decides whether a search's page is driven by a date window:
    /// null when the page is not key-driven (sorted, no type, a condition that needs the
    /// resources row) or no date parameter bounds a window, or <paramref name="bound"/> is 0.
    /// </summary>
    public DateProbe? DateProbe(string tenant, SearchQuery query, int bound, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (bound <= 0 || EnvelopeOperands(query) is not { } operands || EnvelopeSql.WindowOf(operands, now) is not { } window)
        {
            return null;
        }
        var sql = new SqlBuilder(_dialect);
        var tenantParam = sql.Param(tenant);
        sql.Append("SELECT count(*) FROM (");
        EnvelopeSql.WriteCandidates(sql, "1 AS one", tenantParam, query.ResourceType!, window, afterKey: null);
        sql.Append(" LIMIT ").AppendParam((long)bound).Append(") c");
        return new DateProbe(window, sql.Build(), bound, bound == int.MaxValue);
    }

    /// <summary>
    /// <c>SELECT count(*) FROM (SELECT 1 FROM x_index i WHERE &lt;driver&gt; LIMIT limit)</c>:
    /// the index rows of the condition that drives the page when the date does not (at most
    /// <paramref name="limit"/> read); null when nothing else can drive.
    /// </summary>
    public SqlStatement? KeyDriverCount(string tenant, SearchQuery query, int limit, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (OtherDriver(query) is not { } driver)
        {
            return null;
        }
        var sql = new SqlBuilder(_dialect);
        _expressions.WriteDriverCount(sql, sql.Param(tenant), query.ResourceType!, driver, limit, new SearchSqlContext(now));
        return sql.Build();
    }

    /// <summary>
    /// <c>SELECT count(*)</c> of the other driver's first <paramref name="sample"/> index rows
    /// in key order whose envelope overlaps <paramref name="window"/>, up to
    /// <paramref name="needed"/>: reaching it means the key-driven page would fill a page within
    /// those rows (it stops early), so the envelope, which must read all its candidates, is no
    /// cheaper. Null when nothing else can drive.
    /// </summary>
    public SqlStatement? KeyDriverSample(string tenant, SearchQuery query, DateWindow window, int sample, int needed, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(window);
        if (OtherDriver(query) is not { } driver)
        {
            return null;
        }
        var sql = new SqlBuilder(_dialect);
        _expressions.WriteDriverSample(sql, sql.Param(tenant), query.ResourceType!, driver, window, sample, needed, new SearchSqlContext(now));
        return sql.Build();
    }

    /// <summary>The condition that drives the key-ordered page when the date does not; null
    /// when the page is not an envelope candidate or nothing else can drive.</summary>
    private static ParameterExpression? OtherDriver(SearchQuery query)
    {
        if (EnvelopeOperands(query) is not { } operands)
        {
            return null;
        }
        var driver = ExpressionSql.KeyDriver(new AndExpression(operands), out _);
        return driver < 0 ? null : (ParameterExpression)operands[driver];
    }

    /// <summary>The top-level conjuncts when every one of them is a check on the key alone
    /// (the key-driven page's condition) and the page is in key order; otherwise null.</summary>
    private static ImmutableArray<SearchExpression>? EnvelopeOperands(SearchQuery query)
    {
        if (!query.Sort.IsDefaultOrEmpty || query.ResourceType is null || query.Filter is null)
        {
            return null;
        }
        var filter = FlatteningRewriter.Instance.Rewrite(query.Filter);
        ImmutableArray<SearchExpression> operands = filter is AndExpression and ? and.Operands : [filter];
        return !operands.IsDefaultOrEmpty && operands.All(ExpressionSql.KeyOnly) ? operands : null;
    }

    /// <summary>
    /// The page driven by the date envelope: the candidates overlapping the window (one seek per
    /// span class, materialised once), each checked by every condition as a probe on its key, in key order, cut at
    /// the page size, then joined to resources (like <see cref="KeyPage"/>).
    /// </summary>
    private SqlStatement EnvelopePage(string tenant, string type, ImmutableArray<SearchExpression> operands, DateWindow window, int limit, int offset, DateTimeOffset now, long? afterKey)
    {
        var sql = new SqlBuilder(_dialect);
        var tenantParam = sql.Param(tenant);
        var typeParam = sql.Param(type);
        // A materialised CTE: the engine would otherwise copy every probe into each of the 12
        // branches (SQLite flattens the UNION ALL), which costs more to prepare than to run.
        sql.Append("WITH c AS MATERIALIZED (");
        EnvelopeSql.WriteCandidates(sql, "e.resource_key", tenantParam, type, window, afterKey);
        sql.Append($") SELECT {Prefixed("r")} FROM (SELECT i.resource_key FROM c i WHERE ");
        var aliases = 0;
        var scope = new ExpressionSql.Scope("i", type, tenantParam, Bound: true);
        var context = new SearchSqlContext(now);
        for (var n = 0; n < operands.Length; n++)
        {
            sql.Append(n > 0 ? " AND " : "");
            _expressions.Write(sql, operands[n], scope, context, ref aliases);
        }
        sql.Append(" ORDER BY i.resource_key")
           .Append(_dialect.Page(sql.Param((long)limit + 1), sql.Param((long)offset)))
           .Append($") k JOIN resources r ON r.resource_key = k.resource_key AND r.tenant = {tenantParam} AND r.type = {typeParam} AND ")
           .Append(_expressions.Current("r"))
           .Append(" ORDER BY r.resource_key");
        return sql.Build();
    }
}
