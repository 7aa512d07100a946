using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// Quantity: compares UCUM-canonical columns when the search value has a canonical form (so
/// 5.4 mg finds 0.0054 g), else the value as written with its system|code (or, without a
/// system, a code-or-unit match). Rows are ranges (a Range or a comparator leaves a bound open).
/// </summary>
internal sealed class QuantitySql : IPredicateSql
{
    public void Write(SqlBuilder sql, string alias, IndexColumns c, ValuePredicate predicate, SearchSqlContext context)
    {
        var p = (QuantityPredicate)predicate;
        if (p.CanonicalUnit is not null && c.CanonicalUnit is not null && p.CanonicalValue is { } cv)
        {
            sql.Append($"{alias}.{c.CanonicalUnit} = ").AppendParam(p.CanonicalUnit).Append(" AND ");
            Range(sql, $"{alias}.{c.CanonicalLow}", $"{alias}.{c.CanonicalHigh}", p.Prefix, cv, p.CanonicalLow ?? cv, p.CanonicalHigh ?? cv);
            return;
        }
        if (p.System is not null && p.Code is not null)
        {
            sql.Append($"{alias}.{c.System} = ").AppendParam(p.System).Append($" AND {alias}.{c.Code} = ").AppendParam(p.Code).Append(" AND ");
        }
        else if (p.Code is not null)
        {
            var code = sql.Param(p.Code);
            sql.Append(c.Unit is null ? $"{alias}.{c.Code} = {code} AND " : $"({alias}.{c.Code} = {code} OR {alias}.{c.Unit} = {code}) AND ");
        }
        Range(sql, $"{alias}.{c.NumLow}", $"{alias}.{c.NumHigh}", p.Prefix, p.Value, p.Low, p.High);
    }

    private static void Range(SqlBuilder sql, string low, string high, SearchPrefix prefix, decimal value, decimal qLow, decimal qHigh)
    {
        var tenth = Math.Abs(value) / 10;
        // The ordering prefixes compare against the value itself, eq/ne against its precision range.
        var (lo, hi) = prefix is SearchPrefix.Eq or SearchPrefix.Ne or SearchPrefix.Ap ? (qLow, qHigh) : (value, value);
        RangeSql.Write(sql, low, high, prefix, lo, hi, value - tenth, value + tenth, nullable: true);
    }
}
