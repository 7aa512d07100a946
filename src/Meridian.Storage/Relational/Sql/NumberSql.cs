using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>Number prefixes: eq/ne use the precision range of the search value (<c>100</c> =
/// [99.5, 100.5)); the ordering prefixes compare the value itself; ap is within 10%.</summary>
internal sealed class NumberSql : IPredicateSql
{
    public void Write(SqlBuilder sql, string alias, IndexColumns c, ValuePredicate predicate, SearchSqlContext context)
    {
        var p = (NumberPredicate)predicate;
        var v = $"{alias}.{c.NumValue}";
        string Eq() => $"({v} >= {sql.Param(p.Low)} AND {v} < {sql.Param(p.High)})";
        var tenth = Math.Abs(p.Value) / 10;
        sql.Append(p.Prefix switch
        {
            SearchPrefix.Eq => Eq(),
            SearchPrefix.Ne => $"NOT {Eq()}",
            SearchPrefix.Gt or SearchPrefix.Sa => $"{v} > {sql.Param(p.Value)}",
            SearchPrefix.Lt or SearchPrefix.Eb => $"{v} < {sql.Param(p.Value)}",
            SearchPrefix.Ge => $"{v} >= {sql.Param(p.Value)}",
            SearchPrefix.Le => $"{v} <= {sql.Param(p.Value)}",
            SearchPrefix.Ap => $"({v} >= {sql.Param(p.Value - tenth)} AND {v} <= {sql.Param(p.Value + tenth)})",
            _ => throw new ArgumentOutOfRangeException(nameof(predicate)),
        });
    }
}
