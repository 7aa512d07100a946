using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// Writes the condition one kind of <see cref="ValuePredicate"/> puts on an index row
/// (alias <c>i</c> or a composite component's columns). One small class per parameter type,
/// after microsoft/fhir-server's per-type query generators.
/// </summary>
internal interface IPredicateSql
{
    void Write(SqlBuilder sql, string alias, IndexColumns columns, ValuePredicate predicate, SearchSqlContext context);
}

/// <summary>What generators may need beyond the predicate: "now" for <c>ap</c> on dates, and the
/// choices the store made from the data before the page (<see cref="SearchPlan"/>).</summary>
internal sealed record SearchSqlContext(DateTimeOffset Now, SearchPlan? Plan = null)
{
    /// <summary>Whether this <c>_has</c> drives from its sources (they are rare).</summary>
    public bool DrivesFromSources(SearchExpression has) => Plan is { } plan && plan.DrivingSources.Contains(has);
}
