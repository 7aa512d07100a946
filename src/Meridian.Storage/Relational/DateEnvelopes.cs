namespace Meridian.Storage.Relational;

/// <summary>
/// One row per (resource, date parameter): the lowest low and highest high over all of the
/// parameter's date rows (docs/adr/0011-search-sql-shapes.md, second addendum). Every row of
/// the parameter lies inside it, so a resource that matches a bounded window with any of its
/// rows has an envelope overlapping the window: the envelopes are a complete candidate set,
/// which the date rows alone are not (a resource may match <c>ge</c> and <c>lt</c> with two
/// different rows). The span class buckets envelopes by length (at most
/// <see cref="MaxSpan"/> of their class) so "overlaps [from, to]" becomes one bounded seek per
/// class, <c>low BETWEEN from - MaxSpan(class) AND to</c>: long ranges (Periods, year-precision
/// dates, open ends) are found without a scan, and a class's seek reads at most the envelopes
/// that start within its span before the window.
/// </summary>
public static class DateEnvelopes
{
    /// <summary>Classes 0..<see cref="LastClass"/>; class c holds spans up to one day × 4^c. The
    /// last one, 4^11 days, is longer than DateTimeOffset's whole range: open-ended envelopes.
    /// Migration 0021 computes the same classes in SQL (a test compares the two).</summary>
    public const int LastClass = 11;

    /// <summary>The longest span (ticks) of <paramref name="spanClass"/>.</summary>
    public static long MaxSpan(int spanClass) => TimeSpan.TicksPerDay << (2 * spanClass);

    /// <summary>The class of an envelope <c>[low, high]</c> (ticks).</summary>
    public static int SpanClass(long low, long high)
    {
        var span = high - low;
        for (var c = 0; c < LastClass; c++)
        {
            if (span <= MaxSpan(c))
            {
                return c;
            }
        }
        return LastClass;
    }

    /// <summary>
    /// Appends the envelope rows of one resource's index rows (all of one resource key) to
    /// <paramref name="rows"/>: one per parameter that has date rows. Called wherever index rows
    /// are built from extraction, so the envelope is written, replaced and deleted with them.
    /// </summary>
    public static void Append(List<(int Table, object?[] Row)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var date = IndexTables.Ordinal(IndexTables.Date);
        Dictionary<string, (object?[] First, long Low, long High)>? perParam = null;
        foreach (var (table, row) in rows)
        {
            if (table != date)
            {
                continue;
            }
            perParam ??= new Dictionary<string, (object?[], long, long)>(StringComparer.Ordinal);
            var param = (string)row[3]!;
            long low = (long)row[4]!, high = (long)row[5]!;
            perParam[param] = perParam.TryGetValue(param, out var e)
                ? (e.First, Math.Min(e.Low, low), Math.Max(e.High, high))
                : (row, low, high);
        }
        if (perParam is null)
        {
            return;
        }
        var envelope = IndexTables.Ordinal(IndexTables.Envelope);
        foreach (var (param, (first, low, high)) in perParam)
        {
            rows.Add((envelope, [first[0], first[1], first[2], param, low, high, SpanClass(low, high)]));
        }
    }
}
