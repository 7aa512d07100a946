using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class DateParsingTests
{
    [Fact]
    public void Year_is_the_whole_year() =>
        Assert.Equal(new DatePredicate(SearchPrefix.Eq, Utc(2020), Before(Utc(2021))), Predicate("Patient", "birthdate=2020"));

    [Fact]
    public void Month_is_the_whole_month() =>
        Assert.Equal(new DatePredicate(SearchPrefix.Eq, Utc(2020, 2), Before(Utc(2020, 3))), Predicate("Patient", "birthdate=2020-02"));

    [Fact]
    public void Day_is_the_whole_day() =>
        Assert.Equal(new DatePredicate(SearchPrefix.Eq, Utc(2020, 2, 29), Before(Utc(2020, 3, 1))), Predicate("Patient", "birthdate=2020-02-29"));

    [Fact]
    public void Minute_with_zone_is_converted_to_utc() =>
        Assert.Equal(new DatePredicate(SearchPrefix.Eq, Utc(2020, 5, 1, 8, 30), Before(Utc(2020, 5, 1, 8, 31))),
            Predicate("Observation", "date=2020-05-01T10:30+02:00"));

    [Fact]
    public void Second_in_utc() =>
        Assert.Equal(new DatePredicate(SearchPrefix.Eq, Utc(2020, 5, 1, 10, 30, 15), Before(Utc(2020, 5, 1, 10, 30, 16))),
            Predicate("Observation", "date=2020-05-01T10:30:15Z"));

    [Fact]
    public void Fraction_narrows_the_range() =>
        Assert.Equal(new DatePredicate(SearchPrefix.Eq, Utc(2020, 5, 1, 10, 30, 15).AddMilliseconds(250), Utc(2020, 5, 1, 10, 30, 15).AddMilliseconds(251).AddTicks(-1)),
            Predicate("Observation", "date=2020-05-01T10:30:15.250Z"));

    [Fact]
    public void Time_without_zone_is_read_as_utc() =>
        Assert.Equal(new DatePredicate(SearchPrefix.Eq, Utc(2020, 5, 1, 10, 30, 15), Before(Utc(2020, 5, 1, 10, 30, 16))),
            Predicate("Observation", "date=2020-05-01T10:30:15"));

    [Theory]
    [InlineData("eq", SearchPrefix.Eq)]
    [InlineData("ne", SearchPrefix.Ne)]
    [InlineData("gt", SearchPrefix.Gt)]
    [InlineData("lt", SearchPrefix.Lt)]
    [InlineData("ge", SearchPrefix.Ge)]
    [InlineData("le", SearchPrefix.Le)]
    [InlineData("sa", SearchPrefix.Sa)]
    [InlineData("eb", SearchPrefix.Eb)]
    [InlineData("ap", SearchPrefix.Ap)]
    public void Every_prefix(string prefix, SearchPrefix expected) =>
        Assert.Equal(new DatePredicate(expected, Utc(2020), Before(Utc(2021))), Predicate("Patient", $"birthdate={prefix}2020"));

    [Fact]
    public void Range_of_two_prefixed_values_is_and() =>
        Assert.Equal(And(P("date", new DatePredicate(SearchPrefix.Ge, Utc(2020), Before(Utc(2021)))), P("date", new DatePredicate(SearchPrefix.Lt, Utc(2021, 7), Before(Utc(2021, 8))))),
            Filter("Observation", "date=ge2020&date=lt2021-07"));

    [Fact]
    public void Last_updated_is_its_own_node() =>
        Assert.Equal(Or(new LastUpdatedExpression(new DatePredicate(SearchPrefix.Gt, Utc(2024, 1, 1), Before(Utc(2024, 1, 2)))),
                        new LastUpdatedExpression(new DatePredicate(SearchPrefix.Eq, Utc(2020), Before(Utc(2021))))),
            Filter("Patient", "_lastUpdated=gt2024-01-01,2020"));

    [Theory]
    [InlineData("birthdate=2020-13")]
    [InlineData("birthdate=2021-02-29")]
    [InlineData("birthdate=20")]
    [InlineData("birthdate=2020-01-01T10")]
    [InlineData("birthdate=2020-01-01T25:00")]
    [InlineData("birthdate=2020-01-01Z")]
    [InlineData("birthdate=yesterday")]
    public void Bad_dates_are_errors(string query) =>
        Assert.Equal(Meridian.Fhir.Outcomes.IssueType.Invalid, Error("Patient", query).Code);

    [Fact]
    public void Unknown_prefix_is_named() =>
        Assert.Contains("unknown prefix 'zz'", Error("Patient", "birthdate=zz2020").Message);

    [Fact]
    public void Date_takes_no_string_modifier() =>
        Assert.Contains("not valid on date parameter 'birthdate'", Error("Patient", "birthdate:exact=2020").Message);

    [Fact]
    public void Last_updated_takes_no_modifier() =>
        Assert.Contains("not valid on _lastUpdated", Error("Patient", "_lastUpdated:missing=true").Message);
}
