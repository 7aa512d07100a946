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
            var gap = Math.Abs(context.Now.UtcTicks - qLow) / 10;
            gap = Math.Max(gap, TimeSpan.TicksPerDay);
            slackLow = Math.Max(qLow - gap, DateTimeOffset.MinValue.UtcTicks);
            slackHigh = Math.Min(qHigh + gap, DateTimeOffset.MaxValue.UtcTicks);
        }
        RangeSql.Write(sql, low, high, p.Prefix, qLow, qHigh, slackLow, slackHigh, nullable: false);
    }
}
