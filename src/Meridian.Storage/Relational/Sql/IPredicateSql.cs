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

/// <summary>What generators may need beyond the predicate: "now" for <c>ap</c> on dates.</summary>
internal sealed record SearchSqlContext(DateTimeOffset Now);
