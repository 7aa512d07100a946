using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// What the store learnt from the data before writing a search's page: the top-level
/// <c>_has</c> conditions whose sources are rare (<see cref="SearchSqlGenerator.SourceProbes"/>
/// counted fewer rows than the bound). Those drive the page from the source side; every other
/// shape stays as <see cref="ExpressionSql"/> ranks it by kind. The same plan must be used for
/// every statement of one search request (page, total), which it is by construction.
/// </summary>
public sealed record SearchPlan(ImmutableHashSet<SearchExpression> DrivingSources)
{
    public static SearchPlan Default { get; } = new(ImmutableHashSet<SearchExpression>.Empty);

    /// <summary>When set, the key-driven page starts from the resources whose date envelope
    /// overlaps this window (<see cref="SearchSqlGenerator.DateProbe"/>) instead of the best
    /// condition by kind.</summary>
    public DateWindow? DateDriver { get; init; }
}

/// <summary>A bounded count of the envelopes overlapping <paramref name="Window"/>: fewer than
/// <paramref name="Bound"/> (and no more than the other driver's rows) means the date drives.
/// <paramref name="Always"/>: drive without counting (the bound is int.MaxValue).</summary>
public sealed record DateProbe(DateWindow Window, SqlStatement Count, int Bound, bool Always);

/// <summary>A bounded count of a <c>_has</c> source's driving index rows: fewer than
/// <paramref name="Bound"/> means the source side is rare and should drive.</summary>
public sealed record SourceProbe(SearchExpression Has, SqlStatement Count, int Bound);
