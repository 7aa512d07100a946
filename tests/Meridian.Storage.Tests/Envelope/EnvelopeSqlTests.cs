using System.Collections.Immutable;
using Meridian.Storage.Relational;
using Meridian.Storage.Relational.Sql;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Sqlite;

namespace Meridian.Storage.Tests.Envelope;

/// <summary>The envelope's pieces without a database: span classes, the window each prefix
/// implies, and the page statement the date-driven plan writes.</summary>
public sealed class EnvelopeSqlTests
{
    private static readonly DateTimeOffset s_now = new(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_june = new(2015, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_july = new(2015, 7, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 0)]
    [InlineData(TimeSpan.TicksPerDay, 0)]
    [InlineData(TimeSpan.TicksPerDay + 1, 1)]
    [InlineData(4 * TimeSpan.TicksPerDay, 1)]
    [InlineData(31 * TimeSpan.TicksPerDay, 3)]
    [InlineData(366 * TimeSpan.TicksPerDay, 5)]
    public void Span_classes_grow_by_four(long span, int expected)
    {
        var low = s_june.UtcTicks;
        Assert.Equal(expected, DateEnvelopes.SpanClass(low, low + span));
        Assert.True(span <= DateEnvelopes.MaxSpan(expected));
    }

    [Fact]
    public void Open_ended_ranges_fall_in_the_last_class_which_holds_every_span()
    {
        Assert.Equal(DateEnvelopes.LastClass, DateEnvelopes.SpanClass(DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks));
        Assert.Equal(DateEnvelopes.LastClass, DateEnvelopes.SpanClass(s_june.UtcTicks, DateTimeOffset.MaxValue.UtcTicks));
        Assert.True(DateEnvelopes.MaxSpan(DateEnvelopes.LastClass) >= DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.MinValue.UtcTicks);
    }

    [Fact]
    public void Envelope_rows_take_min_low_and_max_high_per_parameter()
    {
        var date = IndexTables.Ordinal(IndexTables.Date);
        var rows = new List<(int, object?[])>
        {
            (date, ["t", 7L, "Observation", "date", 50L, 60L]),
            (0, ["t", 7L, "Observation", "code", null, "x", null, null, null]),
            (date, ["t", 7L, "Observation", "date", 10L, 20L]),
            (date, ["t", 7L, "Observation", "issued", 5L, 5L]),
        };
        DateEnvelopes.Append(rows);
        var envelopes = rows.Where(r => r.Item1 == IndexTables.Ordinal(IndexTables.Envelope)).Select(r => string.Join(",", r.Item2)).Order(StringComparer.Ordinal);
        Assert.Equal(["t,7,Observation,date,10,60,0", "t,7,Observation,issued,5,5,0"], envelopes);
    }

    public static TheoryData<SearchPrefix, SearchPrefix, bool> Bounds => new()
    {
        { SearchPrefix.Ge, SearchPrefix.Lt, true },
        { SearchPrefix.Gt, SearchPrefix.Le, true },
        { SearchPrefix.Sa, SearchPrefix.Eb, true },
        { SearchPrefix.Ge, SearchPrefix.Ge, false },
        { SearchPrefix.Lt, SearchPrefix.Le, false },
        { SearchPrefix.Ne, SearchPrefix.Lt, false },
    };

    [Theory]
    [MemberData(nameof(Bounds))]
    public void A_window_needs_a_lower_and_an_upper_bound_on_one_parameter(SearchPrefix first, SearchPrefix second, bool bounded)
    {
        ImmutableArray<SearchExpression> operands = [Date("date", first, s_june), Date("date", second, s_july)];
        Assert.Equal(bounded, EnvelopeSql.WindowOf(operands, s_now) is not null);
        // The same bounds on two different parameters never make a window.
        Assert.Null(EnvelopeSql.WindowOf([Date("date", first, s_june), Date("issued", second, s_july)], s_now));
    }

    [Fact]
    public void Ge_and_lt_give_the_window_from_the_first_day_to_the_start_of_the_next_month()
    {
        var window = EnvelopeSql.WindowOf([Date("date", SearchPrefix.Ge, s_june), Date("date", SearchPrefix.Lt, s_july)], s_now);
        Assert.Equal(new DateWindow("date", s_june.UtcTicks, s_july.UtcTicks), window);
        var eq = EnvelopeSql.WindowOf([Date("date", SearchPrefix.Eq, s_june)], s_now);
        Assert.Equal(new DateWindow("date", s_june.UtcTicks, s_june.AddDays(1).UtcTicks - 1), eq);
        var ap = EnvelopeSql.WindowOf([Date("date", SearchPrefix.Ap, s_june)], s_now)!;
        Assert.True(ap.From < s_june.UtcTicks && ap.To > s_june.AddDays(1).UtcTicks);
        Assert.Null(EnvelopeSql.WindowOf([Date("date", SearchPrefix.Ge, s_june), Date("issued", SearchPrefix.Lt, s_july)], s_now));
    }

    [Fact]
    public void The_date_driven_page_seeks_every_span_class_and_probes_every_condition()
    {
        var filter = new AndExpression([
            new ParameterExpression("code", new TokenPredicate("http://loinc.org", "x")),
            Date("date", SearchPrefix.Ge, s_june),
            Date("date", SearchPrefix.Lt, s_july),
        ]);
        var generator = new SearchSqlGenerator(SqliteDialect.Instance);
        var query = new Meridian.Storage.Search.SearchQuery("Observation", filter);
        var window = new DateWindow("date", s_june.UtcTicks, s_july.UtcTicks);
        var driven = generator.Page("t1", query, 0, 10, s_now, plan: SearchPlan.Default with { DateDriver = window }).Text;
        var plain = generator.Page("t1", query, 0, 10, s_now).Text;
        Assert.DoesNotContain("date_envelope", plain, StringComparison.Ordinal);
        Assert.Equal(DateEnvelopes.LastClass + 1, driven.Split("FROM date_envelope e").Length - 1);
        Assert.Equal(2, driven.Split("EXISTS (SELECT 1 FROM date_index p").Length - 1);
        Assert.Contains("EXISTS (SELECT 1 FROM token_index p", driven, StringComparison.Ordinal);
        // The cursor cuts each branch.
        var next = generator.Page("t1", query, 0, 10, s_now, afterKey: 42, plan: SearchPlan.Default with { DateDriver = window }).Text;
        Assert.Equal(DateEnvelopes.LastClass + 1, next.Split("e.resource_key > ").Length - 1);
    }

    private static ParameterExpression Date(string code, SearchPrefix prefix, DateTimeOffset day) =>
        new(code, new DatePredicate(prefix, day, day.AddDays(1).AddTicks(-1)));
}
