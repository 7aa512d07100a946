using System.Collections.Immutable;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Rewriters;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// The statements of one search: the page (limit + 1 rows, to know whether a next page
/// exists), the total, and one statement per include descriptor for the whole page (never
/// one per resource).
/// </summary>
public sealed partial class SearchSqlGenerator
{
    /// <summary>Columns every resource-returning statement selects, in this order.</summary>
    public const string ResourceColumns = "type, id, version, last_updated, deleted, json, resource_key";

    private readonly SqlDialect _dialect;
    private readonly ExpressionSql _expressions;

    public SearchSqlGenerator(SqlDialect dialect)
    {
        _dialect = dialect;
        _expressions = new ExpressionSql(dialect);
    }

    /// <summary>
    /// One page. Without sort keys the order is the surrogate key and the page continues after
    /// <paramref name="afterKey"/> (keyset: resources created meanwhile sort last, so pages never
    /// shift); with sort keys it is an offset into the total order (sort keys, then key).
    /// </summary>
    public SqlStatement Page(string tenant, SearchQuery query, int offset, int limit, DateTimeOffset now, long? afterKey = null, SearchPlan? plan = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Sort.IsDefaultOrEmpty && query.ResourceType is not null && query.Filter is not null)
        {
            var filter = FlatteningRewriter.Instance.Rewrite(query.Filter);
            if (plan?.DateDriver is { } window && EnvelopeOperands(query) is { } all)
            {
                return EnvelopePage(tenant, query.ResourceType, all, window, limit, afterKey is null ? offset : 0, now, afterKey);
            }
            if (ExpressionSql.KeyDriver(filter, out var operands) is var driver and >= 0)
            {
                return KeyPage(tenant, query.ResourceType, operands, driver, limit, afterKey is null ? offset : 0, now, afterKey);
            }
        }
        var sql = new SqlBuilder(_dialect);
        sql.Append("SELECT ").Append(Prefixed("r")).Append(" FROM resources r WHERE ");
        Where(sql, tenant, query, now, plan);
        if (afterKey is { } after && query.Sort.IsDefaultOrEmpty)
        {
            sql.Append(" AND r.resource_key > ").AppendParam(after);
            offset = 0;
        }
        sql.Append(" ORDER BY ");
        foreach (var key in query.Sort.IsDefault ? [] : query.Sort)
        {
            var dir = key.Descending ? " DESC" : " ASC";
            var nulls = " NULLS LAST";
            switch (key.Code)
            {
                case "_id":
                    sql.Append("r.id").Append(dir).Append(", ");
                    break;
                case "_lastUpdated":
                    sql.Append("r.last_updated").Append(dir).Append(", ");
                    break;
                default:
                    var table = IndexTables.ForType(key.Type) ?? throw new NotSupportedException($"sorting by {key.Type}");
                    var column = ExpressionSql.SortColumn(key.Type, key.Descending);
                    sql.Append($"(SELECT {(key.Descending ? "max" : "min")}(o.{column}) FROM {table.Name} o WHERE o.resource_key = r.resource_key AND o.param = ")
                       .AppendParam(key.Code).Append(")").Append(dir).Append(nulls).Append(", ");
                    break;
            }
        }
        // The surrogate key makes the order total, so offset pages neither repeat nor skip.
        sql.Append("r.resource_key");
        sql.Append(_dialect.Page(sql.Param((long)limit + 1), sql.Param((long)offset)));
        return sql.Build();
    }

    /// <summary>
    /// The key-driven page (docs/adr/0011-search-sql-shapes.md): the driver's index rows in
    /// resource_key order, each checked by probes on its key alone, grouped per key (a resource
    /// may have several matching rows), cut at the page size, and only then joined to resources.
    /// Non-matching candidates cost index probes only, never a resources row, and the engine
    /// stops after the page. Used when every other condition is a probe on the key.
    /// </summary>
    private SqlStatement KeyPage(string tenant, string type, ImmutableArray<SearchExpression> operands, int driver, int limit, int offset, DateTimeOffset now, long? afterKey)
    {
        var sql = new SqlBuilder(_dialect);
        var tenantParam = sql.Param(tenant);
        var typeParam = sql.Param(type);
        sql.Append($"SELECT {Prefixed("r")} FROM (");
        _expressions.WriteKeyDriven(sql, operands, driver, new ExpressionSql.Scope("i", type, tenantParam), new SearchSqlContext(now));
        if (afterKey is { } after)
        {
            sql.Append(" AND i.resource_key > ").AppendParam(after);
        }
        sql.Append(" GROUP BY i.resource_key ORDER BY i.resource_key")
           .Append(_dialect.Page(sql.Param((long)limit + 1), sql.Param((long)offset)))
           .Append($") k JOIN resources r ON r.resource_key = k.resource_key AND r.tenant = {tenantParam} AND r.type = {typeParam} AND ")
           .Append(_expressions.Current("r"))
           .Append(" ORDER BY r.resource_key");
        return sql.Build();
    }

    public SqlStatement Count(string tenant, SearchQuery query, DateTimeOffset now, SearchPlan? plan = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        var sql = new SqlBuilder(_dialect);
        sql.Append("SELECT count(*) FROM resources r WHERE ");
        Where(sql, tenant, query, now, plan);
        return sql.Build();
    }

    /// <summary>
    /// The bounded counts to run before the page (<see cref="SearchPlan"/>): one per top-level
    /// <c>_has</c> whose source has a condition that can drive. The store runs each and lets the
    /// <c>_has</c> drive from its sources when the count stays under <paramref name="bound"/>.
    /// </summary>
    public IReadOnlyList<SourceProbe> SourceProbes(string tenant, SearchQuery query, int bound, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (bound <= 0 || query.Filter is null)
        {
            return [];
        }
        var filter = FlatteningRewriter.Instance.Rewrite(query.Filter);
        var probes = new List<SourceProbe>();
        foreach (var operand in filter is AndExpression and ? and.Operands : [filter])
        {
            if (operand is ReverseChainedExpression has && ExpressionSql.SourceDriver(has) is { } driver)
            {
                var sql = new SqlBuilder(_dialect);
                _expressions.WriteSourceCount(sql, sql.Param(tenant), has, driver, bound, new SearchSqlContext(now));
                probes.Add(new SourceProbe(has, sql.Build(), bound));
            }
        }
        return probes;
    }

    /// <summary>
    /// Targets of <paramref name="include"/> for the resources with the given keys: the distinct
    /// (type, id) pairs their references name (small strings; never DISTINCT over the JSON), then
    /// each target by the resources index.
    /// </summary>
    public SqlStatement Include(string tenant, IncludeDescriptor include, IReadOnlyCollection<long> sourceKeys)
    {
        ArgumentNullException.ThrowIfNull(include);
        var sql = new SqlBuilder(_dialect);
        var tenantParam = sql.Param(tenant);
        sql.Append($"SELECT {Prefixed("t")} FROM (SELECT DISTINCT ri.ref_type, ri.ref_id FROM reference_index ri WHERE ")
           .Append(_dialect.InKeys(sql, "ri.resource_key", [.. sourceKeys]))
           .Append(" AND ri.param = ").AppendParam(include.ReferenceCode)
           .Append($" AND ri.tenant = {tenantParam} AND ri.type = ").AppendParam(include.SourceType);
        if (include.TargetType is not null)
        {
            sql.Append(" AND ri.ref_type = ").AppendParam(include.TargetType);
        }
        sql.Append($") d JOIN resources t ON t.tenant = {tenantParam} AND t.type = d.ref_type AND t.id = d.ref_id AND ")
           .Append(_expressions.Current("t"));
        return sql.Build();
    }

    /// <summary>Resources of <c>include.SourceType</c> whose reference parameter points at one of
    /// <paramref name="targets"/>: their keys from the reverse reference index, then each by key.</summary>
    public SqlStatement RevInclude(string tenant, IncludeDescriptor include, IReadOnlyCollection<(string Type, string Id)> targets)
    {
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(targets);
        var sql = new SqlBuilder(_dialect);
        var tenantParam = sql.Param(tenant);
        sql.Append($"SELECT {Prefixed("s")} FROM resources s WHERE ")
           .Append(_expressions.Current("s"))
           .Append($" AND s.resource_key IN (SELECT ri.resource_key FROM reference_index ri WHERE ri.tenant = {tenantParam} AND ri.type = ").AppendParam(include.SourceType)
           .Append(" AND ri.param = ").AppendParam(include.ReferenceCode)
           .Append(" AND (");
        var first = true;
        foreach (var (type, id) in targets)
        {
            if (include.TargetType is not null && include.TargetType != type)
            {
                continue;
            }
            sql.Append(first ? "" : " OR ").Append("(ri.ref_type = ").AppendParam(type).Append(" AND ri.ref_id = ").AppendParam(id).Append(")");
            first = false;
        }
        sql.Append(first ? "1 = 0))" : "))");
        return sql.Build();
    }

    private void Where(SqlBuilder sql, string tenant, SearchQuery query, DateTimeOffset now, SearchPlan? plan)
    {
        var tenantParam = sql.Param(tenant);
        sql.Append($"r.tenant = {tenantParam}");
        if (query.ResourceType is not null)
        {
            sql.Append(" AND r.type = ").AppendParam(query.ResourceType);
        }
        sql.Append(" AND ").Append(_expressions.Current("r"));
        if (query.Filter is not null)
        {
            sql.Append(" AND ");
            var aliases = 0;
            var filter = FlatteningRewriter.Instance.Rewrite(query.Filter);
            _expressions.Write(sql, filter, new ExpressionSql.Scope("r", query.ResourceType, tenantParam), new SearchSqlContext(now, plan), ref aliases);
        }
    }

    private static string Prefixed(string alias) =>
        string.Join(", ", ResourceColumns.Split(", ").Select(c => alias + "." + c));

    /// <summary>The distinct (type, id) pairs of a page, for rev-includes.</summary>
    internal static ImmutableArray<(string, string)> Targets(IEnumerable<StoredResource> resources) =>
        [.. resources.Select(r => (r.Type, r.Id)).Distinct()];
}
