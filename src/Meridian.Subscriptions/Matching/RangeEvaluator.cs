using Meridian.Fhir.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Subscriptions.Matching;

/// <summary>
/// Date, number and quantity prefixes evaluated in memory exactly as the store's SQL does
/// (Meridian.Storage Relational/Sql: RangeSql, DateSql, NumberSql, QuantitySql): the same
/// columns (UTC ticks for dates, the value's bounds for quantities, the UCUM-canonical form
/// when the search value has one) and the same comparisons. SQL's three-valued logic matters
/// for quantities, whose bounds may be null (an open Range end): a comparison with NULL is
/// unknown, an unknown row predicate selects nothing, and <c>NOT unknown</c> is still unknown —
/// so <c>ne</c>, <c>sa</c> and <c>eb</c> never match an open bound. Unknown is modelled as a
/// null <see cref="bool"/> and counts as "no match" at the end, like the row filter.
/// </summary>
internal static class RangeEvaluator
{
    public static bool Date(DatePredicate p, long low, long high, DateTimeOffset now)
    {
        long qLow = p.Low.UtcTicks, qHigh = p.High.UtcTicks;
        long? slackLow = null, slackHigh = null;
        if (p.Prefix == SearchPrefix.Ap)
        {
            // DateSql: ap widens by 10% of the distance from now, at least a day.
            var gap = Math.Max(Math.Abs(now.UtcTicks - qLow) / 10, TimeSpan.TicksPerDay);
            slackLow = Math.Max(qLow - gap, DateTimeOffset.MinValue.UtcTicks);
            slackHigh = Math.Min(qHigh + gap, DateTimeOffset.MaxValue.UtcTicks);
        }
        return Range<long>(low, high, p.Prefix, qLow, qHigh, slackLow ?? qLow, slackHigh ?? qHigh, nullable: false) == true;
    }

    /// <summary>NumberSql: eq/ne against the half-open precision range, the rest against the value.</summary>
    public static bool Number(NumberPredicate p, NumberValue n)
    {
        var v = n.Value;
        var tenth = Math.Abs(p.Value) / 10;
        return p.Prefix switch
        {
            SearchPrefix.Eq => v >= p.Low && v < p.High,
            SearchPrefix.Ne => !(v >= p.Low && v < p.High),
            SearchPrefix.Gt or SearchPrefix.Sa => v > p.Value,
            SearchPrefix.Lt or SearchPrefix.Eb => v < p.Value,
            SearchPrefix.Ge => v >= p.Value,
            SearchPrefix.Le => v <= p.Value,
            SearchPrefix.Ap => v >= p.Value - tenth && v <= p.Value + tenth,
            _ => false,
        };
    }

    /// <summary>QuantitySql: canonical unit and range when the search value converts, else system|code (or code-or-unit) and the value as written.</summary>
    public static bool Quantity(QuantityPredicate p, QuantityValue q)
    {
        if (p.CanonicalUnit is not null && p.CanonicalValue is { } cv)
        {
            // The row's canonical_unit = the search unit (NULL never equals).
            if (q.CanonicalUnit is null || !string.Equals(q.CanonicalUnit, p.CanonicalUnit, StringComparison.Ordinal))
            {
                return false;
            }
            return QuantityRange(q.CanonicalLow ?? q.CanonicalValue, q.CanonicalHigh ?? q.CanonicalValue, p.Prefix, cv, p.CanonicalLow ?? cv, p.CanonicalHigh ?? cv);
        }
        if (p.System is not null && p.Code is not null)
        {
            if (!string.Equals(q.System, p.System, StringComparison.Ordinal) || !string.Equals(q.Code, p.Code, StringComparison.Ordinal))
            {
                return false;
            }
        }
        else if (p.Code is not null && !string.Equals(q.Code, p.Code, StringComparison.Ordinal) && !string.Equals(q.Unit, p.Code, StringComparison.Ordinal))
        {
            return false;
        }
        // IndexTables writes low = Low ?? Value, high = High ?? Value.
        return QuantityRange(q.Low ?? q.Value, q.High ?? q.Value, p.Prefix, p.Value, p.Low, p.High);
    }

    private static bool QuantityRange(decimal? low, decimal? high, SearchPrefix prefix, decimal value, decimal qLow, decimal qHigh)
    {
        var tenth = Math.Abs(value) / 10;
        var (lo, hi) = prefix is SearchPrefix.Eq or SearchPrefix.Ne or SearchPrefix.Ap ? (qLow, qHigh) : (value, value);
        return Range(low, high, prefix, lo, hi, value - tenth, value + tenth, nullable: true) == true;
    }

    /// <summary>RangeSql.Write in three-valued logic: null bounds are SQL NULLs.</summary>
    private static bool? Range<T>(T? low, T? high, SearchPrefix prefix, T qLow, T qHigh, T slackLow, T slackHigh, bool nullable)
        where T : struct, IComparable<T>
    {
        // "low op v", or "(low IS NULL OR low op v)" when bounds are nullable.
        bool? Lo(Func<int, bool> op, T v) => low is { } l ? op(l.CompareTo(v)) : nullable ? true : null;
        bool? Hi(Func<int, bool> op, T v) => high is { } h ? op(h.CompareTo(v)) : nullable ? true : null;
        bool? Eq() => And(low is { } l ? l.CompareTo(qLow) >= 0 : null, high is { } h ? h.CompareTo(qHigh) <= 0 : null);
        bool? Strict(T? x, Func<int, bool> op, T v) => x is { } y ? op(y.CompareTo(v)) : null;
        return prefix switch
        {
            SearchPrefix.Eq => Eq(),
            SearchPrefix.Ne => Eq() is { } eq ? !eq : null,
            SearchPrefix.Gt => Hi(c => c > 0, qHigh),
            SearchPrefix.Lt => Lo(c => c < 0, qLow),
            SearchPrefix.Ge => Or(Hi(c => c > 0, qHigh), Eq()),
            SearchPrefix.Le => Or(Lo(c => c < 0, qLow), Eq()),
            SearchPrefix.Sa => Strict(low, c => c > 0, qHigh),
            SearchPrefix.Eb => Strict(high, c => c < 0, qLow),
            SearchPrefix.Ap => And(Lo(c => c <= 0, slackHigh), Hi(c => c >= 0, slackLow)),
            _ => false,
        };
    }

    private static bool? And(bool? a, bool? b) => a == false || b == false ? false : a is null || b is null ? null : true;

    private static bool? Or(bool? a, bool? b) => a == true || b == true ? true : a is null || b is null ? null : false;
}
