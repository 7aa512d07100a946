using Meridian.Fhir.Specification;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// Turns a <see cref="SearchExpression"/> into a condition on a resources alias. Parameter
/// conditions are uncorrelated <c>resource_key IN (SELECT … FROM x_index …)</c> sub-queries:
/// both engines drive them from the (tenant, type, param, value) indexes and intersect keys,
/// which is what "Observation by patient and code" needs. Chains join through
/// reference_index to a fresh resources alias, so they nest to any depth.
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
    internal sealed record Scope(string Alias, string? Type, string TenantParam);

    public void Write(SqlBuilder sql, SearchExpression expression, Scope scope, SearchSqlContext context, ref int aliasCounter)
    {
        switch (expression)
        {
            case AndExpression and:
                Join(sql, and.Operands, " AND ", scope, context, ref aliasCounter);
                break;
            case OrExpression or:
                Join(sql, or.Operands, " OR ", scope, context, ref aliasCounter);
                break;
            case NotExpression not:
                sql.Append("NOT (");
                Write(sql, not.Operand, scope, context, ref aliasCounter);
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
            case ParameterExpression pe:
                WriteParameter(sql, pe, scope, context);
                break;
            case MissingExpression missing:
                WriteMissing(sql, missing, scope);
                break;
            case ChainedExpression chain:
                WriteChain(sql, chain, scope, context, ref aliasCounter);
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

    private void WriteParameter(SqlBuilder sql, ParameterExpression pe, Scope scope, SearchSqlContext context)
    {
        var columns = ColumnsFor(pe.Predicate);
        sql.Append($"{scope.Alias}.resource_key IN (SELECT i.resource_key FROM {columns.Table} i WHERE ");
        IndexRowScope(sql, "i", pe.Code, scope);
        sql.Append(" AND (");
        GeneratorFor(pe.Predicate).Write(sql, "i", columns, pe.Predicate, context);
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
        sql.Append($"{scope.Alias}.resource_key {(missing.IsMissing ? "NOT IN" : "IN")} (SELECT i.resource_key FROM {table.Name} i WHERE ");
        IndexRowScope(sql, "i", missing.Code, scope);
        sql.Append(")");
    }

    private void WriteChain(SqlBuilder sql, ChainedExpression chain, Scope scope, SearchSqlContext context, ref int aliasCounter)
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

    private void WriteReverseChain(SqlBuilder sql, ReverseChainedExpression has, Scope scope, SearchSqlContext context, ref int aliasCounter)
    {
        var n = ++aliasCounter;
        var ri = "ri" + n;
        var s = "s" + n;
        sql.Append($"EXISTS (SELECT 1 FROM reference_index {ri} JOIN resources {s} ON {s}.resource_key = {ri}.resource_key AND ")
           .Append(Current(s))
           .Append($" WHERE {ri}.tenant = {scope.TenantParam} AND {ri}.ref_type = {scope.Alias}.type AND {ri}.ref_id = {scope.Alias}.id AND {ri}.type = ")
           .AppendParam(has.SourceType).Append($" AND {ri}.param = ").AppendParam(has.ReferenceCode).Append(" AND (");
        Write(sql, has.Source, new Scope(s, has.SourceType, scope.TenantParam), context, ref aliasCounter);
        sql.Append("))");
    }

    /// <summary>The current, not deleted version of a resources alias.</summary>
    internal string Current(string alias) => $"{alias}.is_current = {_dialect.True} AND {alias}.deleted = {_dialect.False}";

    private void Join(SqlBuilder sql, System.Collections.Immutable.ImmutableArray<SearchExpression> operands, string op, Scope scope, SearchSqlContext context, ref int aliasCounter)
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

    private static void InList(SqlBuilder sql, string column, System.Collections.Immutable.ImmutableArray<string> values)
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
