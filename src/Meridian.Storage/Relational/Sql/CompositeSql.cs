using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>A composite: each component's own generator on that component's columns of the
/// same composite row, so <c>code-value-quantity=loinc|8480-6$gt100</c> pairs code and value.</summary>
internal sealed class CompositeSql(Func<ValuePredicate, IPredicateSql> generatorFor) : IPredicateSql
{
    public void Write(SqlBuilder sql, string alias, IndexColumns c, ValuePredicate predicate, SearchSqlContext context)
    {
        var p = (CompositePredicate)predicate;
        if (p.Components.Length is 0 or > 2)
        {
            throw new ArgumentException("composite search values have one or two components", nameof(predicate));
        }
        for (var i = 0; i < p.Components.Length; i++)
        {
            sql.Append(i == 0 ? "(" : " AND (");
            var component = p.Components[i];
            generatorFor(component).Write(sql, alias, IndexTables.CompositeComponent(i), component, context);
            sql.Append(")");
        }
    }
}
