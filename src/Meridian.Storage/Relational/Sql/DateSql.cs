using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>Date prefixes over the stored instant ranges (UTC ticks). <c>ap</c> widens the search
/// range by 10% of its distance from now, as the FHIR spec recommends.</summary>
internal sealed class DateSql : IPredicateSql
{
    public void Write(SqlBuilder sql, string alias, IndexColumns c, ValuePredicate predicate, SearchSqlContext context)
    {
        var p = (DatePredicate)predicate;
        WriteRange(sql, $"{alias}.{c.DateLow}", $"{alias}.{c.DateHigh}", p, context);
    }

    internal static void WriteRange(SqlBuilder sql, string low, string high, DatePredicate p, SearchSqlContext context)
    {
        long qLow = p.Low.UtcTicks, qHigh = p.High.UtcTicks;
        object? slackLow = null, slackHigh = null;
        if (p.Prefix == SearchPrefix.Ap)
        {
            (slackLow, slackHigh) = ApproximateRange(p, context.Now);
        }
        RangeSql.Write(sql, low, high, p.Prefix, qLow, qHigh, slackLow, slackHigh, nullable: false);
    }

    /// <summary>The range <c>ap</c> accepts (ticks): the search range widened by 10% of its distance from now, at least a day.</summary>
    internal static (long Low, long High) ApproximateRange(DatePredicate p, DateTimeOffset now)
    {
        long qLow = p.Low.UtcTicks, qHigh = p.High.UtcTicks;
        var gap = Math.Max(Math.Abs(now.UtcTicks - qLow) / 10, TimeSpan.TicksPerDay);
        return (Math.Max(qLow - gap, DateTimeOffset.MinValue.UtcTicks), Math.Min(qHigh + gap, DateTimeOffset.MaxValue.UtcTicks));
    }
}
