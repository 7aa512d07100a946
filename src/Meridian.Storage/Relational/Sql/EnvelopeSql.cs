using System.Collections.Immutable;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// A bounded window one date parameter's conditions imply: every resource that satisfies all of
/// them has, for <paramref name="Param"/>, an envelope (<see cref="DateEnvelopes"/>) with
/// <c>low &lt;= To</c> and <c>high &gt;= From</c> (ticks).
/// </summary>
public sealed record DateWindow(string Param, long From, long To);

/// <summary>
/// The date envelope as a page driver (docs/adr/0011-search-sql-shapes.md, second addendum):
/// the window a parameter's conditions imply, and the candidates whose envelope overlaps it, one
/// bounded index seek per span class. The candidates are a superset of the matches; the page
/// still checks every condition (the date ones too) with the usual probes, so results are those
/// of the code-driven plan.
/// </summary>
internal static class EnvelopeSql
{
    /// <summary>
    /// The narrowest window among the date parameters of <paramref name="operands"/> (top-level
    /// conjuncts) that have both a lower and an upper bound; null when none has. Each prefix
    /// bounds the envelope through the row that matches it (a row lies inside its envelope):
    /// eq, ap: both ends; ge, gt, sa: high from below; le, lt, eb: low from above; ne: nothing.
    /// </summary>
    public static DateWindow? WindowOf(ImmutableArray<SearchExpression> operands, DateTimeOffset now)
    {
        var bounds = new Dictionary<string, (long? From, long? To)>(StringComparer.Ordinal);
        foreach (var operand in operands)
        {
            if (operand is not ParameterExpression { Predicate: DatePredicate p } pe)
            {
                continue;
            }
            long qLow = p.Low.UtcTicks, qHigh = p.High.UtcTicks;
            var (from, to) = p.Prefix switch
            {
                SearchPrefix.Eq => ((long?)qLow, (long?)qHigh),
                SearchPrefix.Ge => (qLow, null),
                SearchPrefix.Gt or SearchPrefix.Sa => (qHigh, null),
                SearchPrefix.Le => (null, qHigh),
                SearchPrefix.Lt or SearchPrefix.Eb => (null, qLow),
                SearchPrefix.Ap => DateSql.ApproximateRange(p, now),
                _ => (null, null),
            };
            bounds.TryGetValue(pe.Code, out var b);
            bounds[pe.Code] = (Max(b.From, from), Min(b.To, to));
        }
        DateWindow? best = null;
        foreach (var (param, (from, to)) in bounds.OrderBy(b => b.Key, StringComparer.Ordinal))
        {
            if (from is { } f && to is { } t && (best is null || (decimal)t - f < (decimal)best.To - best.From))
            {
                best = new DateWindow(param, f, t);
            }
        }
        return best;
    }

    /// <summary>
    /// <c>SELECT {select} FROM date_envelope e WHERE … span_class = c AND low BETWEEN From -
    /// MaxSpan(c) AND To AND high &gt;= From UNION ALL …</c> for every class: the keys of the
    /// resources whose envelope overlaps the window, each once (one envelope per resource and
    /// parameter, in exactly one class). <paramref name="afterKey"/> cuts each branch for the
    /// next page.
    /// </summary>
    public static void WriteCandidates(SqlBuilder sql, string select, string tenantParam, string type, DateWindow window, long? afterKey)
    {
        var typeParam = sql.Param(type);
        var param = sql.Param(window.Param);
        var from = sql.Param(window.From);
        var to = sql.Param(window.To);
        var after = afterKey is { } a ? sql.Param(a) : null;
        for (var c = 0; c <= DateEnvelopes.LastClass; c++)
        {
            sql.Append(c > 0 ? " UNION ALL " : "")
               .Append($"SELECT {select} FROM date_envelope e WHERE e.tenant = {tenantParam} AND e.type = {typeParam} AND e.param = {param} AND e.span_class = ")
               .Append(c.ToString(System.Globalization.CultureInfo.InvariantCulture))
               .Append(" AND e.low >= ").AppendParam(window.From - DateEnvelopes.MaxSpan(c))
               .Append($" AND e.low <= {to} AND e.high >= {from}");
            if (after is not null)
            {
                sql.Append($" AND e.resource_key > {after}");
            }
        }
    }

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
