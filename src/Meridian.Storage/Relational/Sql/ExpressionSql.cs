using System.Collections.Immutable;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// Turns a <see cref="SearchExpression"/> into a condition on a resources alias, in the shape of
/// docs/adr/0011-search-sql-shapes.md: a page is the first rows in resource_key order, so the
/// condition must let the engine stream in that order and stop at the page size. Of the
/// conjuncts of a free scope (the page's resources, or a chain's target inside an uncorrelated
/// sub-query) at most one, the most selective by kind (<see cref="DriverRank"/>), is the
/// <em>driver</em>: an uncorrelated <c>resource_key IN (SELECT … FROM x_index …)</c> the engine
/// can start from. Every other condition is a correlated <em>probe</em>,
/// <c>EXISTS (SELECT 1 FROM x_index i WHERE i.resource_key = r.resource_key AND i.param = …)</c>,
/// answered by the (resource_key, param, value) index in a few rows, so no condition ever
/// materialises every row of a common code or date range. Inside a bound scope (a <c>_has</c>
/// source, a probed chain target) everything is a probe. Chains join through reference_index to
/// a fresh resources alias, so they nest to any depth. resource_key identifies one resource of
/// one tenant and type, so a probe needs neither tenant nor type.
/// </summary>
internal sealed class ExpressionSql
{
    private readonly SqlDialect _dialect;
    private readonly IPredicateSql _token = new TokenSql();
    private readonly IPredicateSql _string = new StringSql();
    private readonly IPredicateSql _reference = new ReferenceSql();
    private readonly IPredicateSql _date = new DateSql();
    private readonly IPredicateSql _number = new NumberSql();
    private readonly IPredicateSql _quantity = new QuantitySql();
    private readonly IPredicateSql _uri = new UriSql();
    private readonly IPredicateSql _near = new NearSql();
    private readonly IPredicateSql _composite;

    public ExpressionSql(SqlDialect dialect)
    {
        _dialect = dialect;
        _composite = new CompositeSql(GeneratorFor);
    }

    /// <summary>Where a condition is evaluated: the alias of a resources row, its type if known, the tenant parameter.</summary>
    internal sealed record Scope(string Alias, string? Type, string TenantParam, bool Bound = false);

    /// <summary>A conjunct that never drives: evaluated per row.</summary>
    private const int NoDriver = int.MaxValue;

    public void Write(SqlBuilder sql, SearchExpression expression, Scope scope, SearchSqlContext context, ref int aliasCounter)
    {
        switch (expression)
        {
            case AndExpression and:
                WriteConjunction(sql, and.Operands, scope, context, ref aliasCounter);
                break;
            case OrExpression or:
                Join(sql, or.Operands, " OR ", scope with { Bound = true }, context, ref aliasCounter);
                break;
            case NotExpression not:
                sql.Append("NOT (");
                Write(sql, not.Operand, scope with { Bound = true }, context, ref aliasCounter);
                sql.Append(")");
                break;
            case IdExpression id:
                InList(sql, $"{scope.Alias}.id", id.Ids);
                break;
            case TypeExpression type:
                InList(sql, $"{scope.Alias}.type", type.Types);
                break;
            case LastUpdatedExpression lu:
                DateSql.WriteRange(sql, $"{scope.Alias}.last_updated", $"{scope.Alias}.last_updated", lu.Predicate, context);
                break;
            case ParameterExpression pe when !scope.Bound && DriverRank(pe) != NoDriver:
                WriteDriver(sql, pe, scope, context);
                break;
            case ParameterExpression pe:
                WriteProbe(sql, pe, scope, context);
                break;
            case MissingExpression missing:
                WriteMissing(sql, missing, scope);
                break;
            case ChainedExpression chain when !scope.Bound:
                WriteChainDriver(sql, chain, scope, context, ref aliasCounter);
                break;
            case ChainedExpression chain:
                WriteChainProbe(sql, chain, scope, context, ref aliasCounter);
                break;
            case ReverseChainedExpression has when !scope.Bound && context.DrivesFromSources(has):
                WriteReverseChainDriver(sql, has, scope, context, ref aliasCounter);
                break;
            case ReverseChainedExpression has:
                WriteReverseChain(sql, has, scope, context, ref aliasCounter);
                break;
            default:
                throw new NotSupportedException($"search expression {expression.GetType().Name}");
        }
    }

    internal IPredicateSql GeneratorFor(ValuePredicate predicate) => predicate switch
    {
        TokenPredicate => _token,
        StringPredicate => _string,
        ReferencePredicate => _reference,
        DatePredicate => _date,
        NumberPredicate => _number,
        QuantityPredicate => _quantity,
        UriPredicate => _uri,
        CompositePredicate => _composite,
        NearPredicate => _near,
        _ => throw new NotSupportedException($"search predicate {predicate.GetType().Name}"),
    };

    private static IndexColumns ColumnsFor(ValuePredicate predicate) => predicate switch
    {
        TokenPredicate => IndexTables.TokenColumns,
        StringPredicate => IndexTables.StringColumns,
        ReferencePredicate => IndexTables.ReferenceColumns,
        DatePredicate => IndexTables.DateColumns,
        NumberPredicate => IndexTables.NumberColumns,
        QuantityPredicate => IndexTables.QuantityColumns,
        UriPredicate => IndexTables.UriColumns,
        CompositePredicate => new IndexColumns("composite_index"),
        NearPredicate => IndexTables.PositionColumns,
        _ => throw new NotSupportedException($"search predicate {predicate.GetType().Name}"),
    };

    /// <summary>
    /// AND in a free scope: the lowest-ranked conjunct drives, the others probe. With an
    /// <c>_id</c> conjunct the resources index itself is the driver.
    /// </summary>
    private void WriteConjunction(SqlBuilder sql, ImmutableArray<SearchExpression> operands, Scope scope, SearchSqlContext context, ref int aliasCounter)
    {
        if (operands.IsDefaultOrEmpty)
        {
            sql.Append("1 = 1");
            return;
        }
        var driver = -1;
        if (!scope.Bound && !operands.Any(o => o is IdExpression))
        {
            var best = NoDriver;
            for (var i = 0; i < operands.Length; i++)
            {
                // A _has the store found rare drives before anything ranked by kind: its
                // sources were counted (fewer than the bound), the other conditions were not.
                var rank = context.DrivesFromSources(operands[i]) ? 0 : DriverRank(operands[i]);
                if (rank < best)
                {
                    best = rank;
                    driver = i;
                }
            }
        }
        sql.Append("(");
        for (var i = 0; i < operands.Length; i++)
        {
            sql.Append(i > 0 ? " AND " : "");
            Write(sql, operands[i], i == driver ? scope : scope with { Bound = true }, context, ref aliasCounter);
        }
        sql.Append(")");
    }

    /// <summary>
    /// How well a condition drives a page, lowest best: an index seek that yields few rows (a
    /// reference to one resource, an exact token, a name prefix) beats a chain, which beats a
    /// range (dates, numbers and quantities match a share of all rows that grows with the data).
    /// <see cref="NoDriver"/> for what no index answers as a set (<c>:not</c>, <c>:missing</c>,
    /// <c>:contains</c>, OR, <c>_has</c>): those stay per-row checks.
    /// </summary>
    internal static int DriverRank(SearchExpression expression) => expression switch
    {
        ParameterExpression { Predicate: ReferencePredicate r } => r.Url is null && string.IsNullOrEmpty(r.Id) ? NoDriver : 1,
        ParameterExpression { Predicate: TokenPredicate { Match: TokenMatch.Code, Code: not null } t } => t.System is null ? 3 : 2,
        ParameterExpression { Predicate: TokenPredicate { Match: TokenMatch.OfType } } => 2,
        ParameterExpression { Predicate: TokenPredicate { Match: TokenMatch.Text } } => 3,
        ParameterExpression { Predicate: StringPredicate { Match: not StringMatch.Contains } } => 2,
        ParameterExpression { Predicate: UriPredicate { Match: not UriMatch.Above } } => 3,
        ParameterExpression { Predicate: CompositePredicate } => 4,
        // A date drives only as eq, whose seek is bounded on both ends (RangeSql); ge, lt, sa…
        // match everything on one side of a day, a share that grows with the data: those probe
        // while the page walks the type in key order and stops after the page.
        ParameterExpression { Predicate: DatePredicate { Prefix: SearchPrefix.Eq } } => 6,
        ParameterExpression { Predicate: DatePredicate } => NoDriver,
        ParameterExpression { Predicate: NumberPredicate or QuantityPredicate or NearPredicate } => 6,
        ChainedExpression => 5,
        _ => NoDriver,
    };

    /// <summary>
    /// For the key-driven page: the operand that drives (a parameter with a driver rank), when
    /// every other operand is a check on the resource_key alone (parameters, <c>:missing</c>,
    /// chains, and AND/OR/NOT of those); -1 when the page needs the resources row to decide
    /// (<c>_id</c>, <c>_type</c>, <c>_lastUpdated</c>, <c>_has</c>) or nothing can drive.
    /// </summary>
    internal static int KeyDriver(SearchExpression filter, out ImmutableArray<SearchExpression> operands)
    {
        operands = filter is AndExpression and ? and.Operands : [filter];
        if (operands.IsDefaultOrEmpty)
        {
            return -1;
        }
        var driver = -1;
        var best = NoDriver;
        for (var i = 0; i < operands.Length; i++)
        {
            if (!KeyOnly(operands[i]))
            {
                return -1;
            }
            var rank = operands[i] is ParameterExpression ? DriverRank(operands[i]) : NoDriver;
            if (rank < best)
            {
                best = rank;
                driver = i;
            }
        }
        return driver;
    }

    internal static bool KeyOnly(SearchExpression e) => e switch
    {
        ParameterExpression or MissingExpression or ChainedExpression => true,
        AndExpression a => a.Operands.All(KeyOnly),
        OrExpression o => o.Operands.All(KeyOnly),
        NotExpression n => KeyOnly(n.Operand),
        _ => false,
    };

    /// <summary>
    /// <c>SELECT i.resource_key FROM x_index i WHERE &lt;driver on d&gt; AND &lt;probes on d.resource_key&gt;</c>
    /// (the caller adds grouping, order and limit). <paramref name="scope"/>'s alias is the driver row.
    /// </summary>
    internal void WriteKeyDriven(SqlBuilder sql, ImmutableArray<SearchExpression> operands, int driver, Scope scope, SearchSqlContext context)
    {
        var pe = (ParameterExpression)operands[driver];
        var columns = ColumnsFor(pe.Predicate);
        sql.Append($"SELECT {scope.Alias}.resource_key FROM {columns.Table} {scope.Alias} WHERE ");
        IndexRowScope(sql, scope.Alias, pe.Code, scope);
        sql.Append(" AND (");
        GeneratorFor(pe.Predicate).Write(sql, scope.Alias, columns, pe.Predicate, context);
        sql.Append(")");
        var aliases = 0;
        for (var i = 0; i < operands.Length; i++)
        {
            if (i != driver)
            {
                sql.Append(" AND ");
                Write(sql, operands[i], scope with { Bound = true }, context, ref aliases);
            }
        }
    }

    /// <summary>An uncorrelated set of keys the engine can start from.</summary>
    private void WriteDriver(SqlBuilder sql, ParameterExpression pe, Scope scope, SearchSqlContext context)
    {
        var columns = ColumnsFor(pe.Predicate);
        sql.Append($"{scope.Alias}.resource_key IN (SELECT i.resource_key FROM {columns.Table} i WHERE ");
        IndexRowScope(sql, "i", pe.Code, scope);
        sql.Append(" AND (");
        GeneratorFor(pe.Predicate).Write(sql, "i", columns, pe.Predicate, context);
        sql.Append("))");
    }

    /// <summary>A per-row check through the (resource_key, param, value) index.</summary>
    private void WriteProbe(SqlBuilder sql, ParameterExpression pe, Scope scope, SearchSqlContext context)
    {
        var columns = ColumnsFor(pe.Predicate);
        // Alias p: the key-driven page names its driver row i, which a probe correlates with.
        sql.Append($"EXISTS (SELECT 1 FROM {columns.Table} p WHERE p.resource_key = {scope.Alias}.resource_key AND p.param = ").AppendParam(pe.Code).Append(" AND (");
        GeneratorFor(pe.Predicate).Write(sql, "p", columns, pe.Predicate, context);
        sql.Append("))");
    }

    private static void IndexRowScope(SqlBuilder sql, string alias, string code, Scope scope)
    {
        sql.Append($"{alias}.tenant = {scope.TenantParam}");
        if (scope.Type is not null)
        {
            sql.Append($" AND {alias}.type = ").AppendParam(scope.Type);
        }
        sql.Append($" AND {alias}.param = ").AppendParam(code);
    }

    private static void WriteMissing(SqlBuilder sql, MissingExpression missing, Scope scope)
    {
        var table = IndexTables.ForType(missing.Type) ?? throw new NotSupportedException($"no index for {missing.Type}");
        sql.Append(missing.IsMissing ? "NOT " : "")
           .Append($"EXISTS (SELECT 1 FROM {table.Name} p WHERE p.resource_key = {scope.Alias}.resource_key AND p.param = ").AppendParam(missing.Code).Append(")");
    }

    /// <summary>A chain as a driver: the keys of resources whose reference points at a matching target.</summary>
    private void WriteChainDriver(SqlBuilder sql, ChainedExpression chain, Scope scope, SearchSqlContext context, ref int aliasCounter)
    {
        var n = ++aliasCounter;
        var ri = "ri" + n;
        var t = "t" + n;
        sql.Append($"{scope.Alias}.resource_key IN (SELECT {ri}.resource_key FROM reference_index {ri} JOIN resources {t} ON {t}.tenant = {ri}.tenant AND {t}.type = {ri}.ref_type AND {t}.id = {ri}.ref_id AND ")
           .Append(Current(t)).Append(" WHERE ");
        IndexRowScope(sql, ri, chain.ReferenceCode, scope);
        if (chain.TargetType is not null)
        {
            sql.Append($" AND {ri}.ref_type = ").AppendParam(chain.TargetType);
        }
        sql.Append(" AND (");
        Write(sql, chain.Target, new Scope(t, chain.TargetType, scope.TenantParam), context, ref aliasCounter);
        sql.Append("))");
    }

    /// <summary>A chain as a per-row check: this row's references, their targets, the target conditions probed.</summary>
    private void WriteChainProbe(SqlBuilder sql, ChainedExpression chain, Scope scope, SearchSqlContext context, ref int aliasCounter)
    {
        var n = ++aliasCounter;
        var ri = "ri" + n;
        var t = "t" + n;
        sql.Append($"EXISTS (SELECT 1 FROM reference_index {ri} JOIN resources {t} ON {t}.tenant = {ri}.tenant AND {t}.type = {ri}.ref_type AND {t}.id = {ri}.ref_id AND ")
           .Append(Current(t)).Append($" WHERE {ri}.resource_key = {scope.Alias}.resource_key AND {ri}.param = ").AppendParam(chain.ReferenceCode);
        if (chain.TargetType is not null)
        {
            sql.Append($" AND {ri}.ref_type = ").AppendParam(chain.TargetType);
        }
        sql.Append(" AND (");
        Write(sql, chain.Target, new Scope(t, chain.TargetType, scope.TenantParam, Bound: true), context, ref aliasCounter);
        sql.Append("))");
    }

    /// <summary>
    /// <c>_has</c>: a semi-join over the reverse reference index. For each candidate the engine
    /// seeks (tenant, ref_type, ref_id, param, type) to the resources that point at it and probes
    /// their conditions by key, stopping at the first match; it never builds the set of every
    /// source that matches (which grows with the data).
    /// </summary>
    private void WriteReverseChain(SqlBuilder sql, ReverseChainedExpression has, Scope scope, SearchSqlContext context, ref int aliasCounter)
    {
        var n = ++aliasCounter;
        var ri = "ri" + n;
        var s = "s" + n;
        sql.Append($"EXISTS (SELECT 1 FROM reference_index {ri} JOIN resources {s} ON {s}.resource_key = {ri}.resource_key AND ")
           .Append(Current(s))
           .Append($" WHERE {ri}.tenant = {scope.TenantParam} AND {ri}.ref_type = ");
        if (scope.Type is not null)
        {
            sql.AppendParam(scope.Type);
        }
        else
        {
            sql.Append($"{scope.Alias}.type");
        }
        sql.Append($" AND {ri}.ref_id = {scope.Alias}.id AND {ri}.param = ").AppendParam(has.ReferenceCode)
           .Append($" AND {ri}.type = ").AppendParam(has.SourceType).Append(" AND (");
        Write(sql, has.Source, new Scope(s, has.SourceType, scope.TenantParam, Bound: true), context, ref aliasCounter);
        sql.Append("))");
    }

    /// <summary>
    /// <c>_has</c> as a driver, when its sources are rare (<see cref="SearchPlan"/>): the keys of
    /// the current targets that the matching sources point at, starting from the sources' own
    /// driver. Same rows as the <see cref="WriteReverseChain"/> semi-join (same reference row
    /// conditions, both sides current), but the cost is the number of matching sources instead
    /// of every candidate target and its sources (a code no Observation carries walked every
    /// Patient).
    /// </summary>
    private void WriteReverseChainDriver(SqlBuilder sql, ReverseChainedExpression has, Scope scope, SearchSqlContext context, ref int aliasCounter)
    {
        var n = ++aliasCounter;
        var ri = "ri" + n;
        var s = "s" + n;
        var t = "t" + n;
        sql.Append($"{scope.Alias}.resource_key IN (SELECT {t}.resource_key FROM resources {s} JOIN reference_index {ri} ON {ri}.resource_key = {s}.resource_key AND {ri}.param = ").AppendParam(has.ReferenceCode)
           .Append($" AND {ri}.tenant = {scope.TenantParam} AND {ri}.type = ").AppendParam(has.SourceType);
        if (scope.Type is not null)
        {
            sql.Append($" AND {ri}.ref_type = ").AppendParam(scope.Type);
        }
        sql.Append($" JOIN resources {t} ON {t}.tenant = {scope.TenantParam} AND {t}.type = {ri}.ref_type AND {t}.id = {ri}.ref_id AND ")
           .Append(Current(t))
           .Append($" WHERE {s}.tenant = {scope.TenantParam} AND {s}.type = ").AppendParam(has.SourceType)
           .Append(" AND ").Append(Current(s)).Append(" AND (");
        Write(sql, has.Source, new Scope(s, has.SourceType, scope.TenantParam), context, ref aliasCounter);
        sql.Append("))");
    }

    /// <summary>
    /// The condition of a <c>_has</c> source that would drive it (the best-ranked parameter
    /// among the source's conjuncts), or null when none can (then the side cannot be counted
    /// cheaply and the semi-join stays).
    /// </summary>
    internal static ParameterExpression? SourceDriver(ReverseChainedExpression has)
    {
        var operands = has.Source is AndExpression and ? and.Operands : [has.Source];
        ParameterExpression? best = null;
        var bestRank = NoDriver;
        foreach (var operand in operands)
        {
            if (operand is ParameterExpression pe && DriverRank(pe) is var rank && rank < bestRank)
            {
                best = pe;
                bestRank = rank;
            }
        }
        return best;
    }

    /// <summary>
    /// <c>SELECT count(*) FROM (SELECT 1 FROM x_index i WHERE &lt;tenant, type, param, value&gt;
    /// LIMIT bound)</c>: how many index rows the source's driver has, reading at most
    /// <paramref name="bound"/> index entries. An upper bound of the matching sources.
    /// </summary>
    internal void WriteSourceCount(SqlBuilder sql, string tenantParam, ReverseChainedExpression has, ParameterExpression driver, int bound, SearchSqlContext context)
    {
        var columns = ColumnsFor(driver.Predicate);
        sql.Append($"SELECT count(*) FROM (SELECT 1 FROM {columns.Table} i WHERE ");
        IndexRowScope(sql, "i", driver.Code, new Scope("i", has.SourceType, tenantParam));
        sql.Append(" AND (");
        GeneratorFor(driver.Predicate).Write(sql, "i", columns, driver.Predicate, context);
        sql.Append(") LIMIT ").AppendParam((long)bound).Append(") c");
    }

    /// <summary><c>SELECT count(*) FROM (SELECT 1 FROM x_index i WHERE &lt;tenant, type, param, value&gt; LIMIT bound)</c>.</summary>
    internal void WriteDriverCount(SqlBuilder sql, string tenantParam, string type, ParameterExpression driver, int bound, SearchSqlContext context)
    {
        var columns = ColumnsFor(driver.Predicate);
        sql.Append($"SELECT count(*) FROM (SELECT 1 FROM {columns.Table} i WHERE ");
        IndexRowScope(sql, "i", driver.Code, new Scope("i", type, tenantParam));
        sql.Append(" AND (");
        GeneratorFor(driver.Predicate).Write(sql, "i", columns, driver.Predicate, context);
        sql.Append(") LIMIT ").AppendParam((long)bound).Append(") c");
    }

    /// <summary>
    /// How many of the driver's first <paramref name="sample"/> index rows in key order (the
    /// rows the key-driven page would read first) have an envelope overlapping the window,
    /// counting at most <paramref name="needed"/>.
    /// </summary>
    internal void WriteDriverSample(SqlBuilder sql, string tenantParam, string type, ParameterExpression driver, DateWindow window, int sample, int needed, SearchSqlContext context)
    {
        var columns = ColumnsFor(driver.Predicate);
        sql.Append($"SELECT count(*) FROM (SELECT 1 FROM (SELECT i.resource_key FROM {columns.Table} i WHERE ");
        IndexRowScope(sql, "i", driver.Code, new Scope("i", type, tenantParam));
        sql.Append(" AND (");
        GeneratorFor(driver.Predicate).Write(sql, "i", columns, driver.Predicate, context);
        sql.Append(") ORDER BY i.resource_key LIMIT ").AppendParam((long)sample)
           .Append(") s WHERE EXISTS (SELECT 1 FROM date_envelope v WHERE v.resource_key = s.resource_key AND v.param = ").AppendParam(window.Param)
           .Append(" AND v.low <= ").AppendParam(window.To).Append(" AND v.high >= ").AppendParam(window.From)
           .Append(") LIMIT ").AppendParam((long)needed).Append(") c");
    }

    /// <summary>The current, not deleted version of a resources alias.</summary>
    internal string Current(string alias) => $"{alias}.is_current = {_dialect.True} AND {alias}.deleted = {_dialect.False}";

    private void Join(SqlBuilder sql, ImmutableArray<SearchExpression> operands, string op, Scope scope, SearchSqlContext context, ref int aliasCounter)
    {
        if (operands.IsDefaultOrEmpty)
        {
            sql.Append(op == " AND " ? "1 = 1" : "1 = 0");
            return;
        }
        sql.Append("(");
        for (var i = 0; i < operands.Length; i++)
        {
            if (i > 0)
            {
                sql.Append(op);
            }
            Write(sql, operands[i], scope, context, ref aliasCounter);
        }
        sql.Append(")");
    }

    private static void InList(SqlBuilder sql, string column, ImmutableArray<string> values)
    {
        if (values.IsDefaultOrEmpty)
        {
            sql.Append("1 = 0");
            return;
        }
        sql.Append($"{column} IN (");
        for (var i = 0; i < values.Length; i++)
        {
            sql.Append(i > 0 ? ", " : "").AppendParam(values[i]);
        }
        sql.Append(")");
    }

    internal static string SortColumn(SearchParamType type, bool descending) => type switch
    {
        SearchParamType.String => "norm",
        SearchParamType.Token => "code",
        SearchParamType.Reference => "ref_id",
        SearchParamType.Date => descending ? "high" : "low",
        SearchParamType.Number => "value",
        SearchParamType.Quantity => descending ? "high" : "low",
        SearchParamType.Uri => "uri",
        _ => throw new NotSupportedException($"sorting by a {type} parameter"),
    };
}
