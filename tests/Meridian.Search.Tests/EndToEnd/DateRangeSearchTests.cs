using Meridian.Storage.Search;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.EndToEnd;

/// <summary>
/// Date prefixes over ranges that overlap the searched boundaries or are open at one end, run
/// through the generated SQL (the date conditions are per-row probes with the extra seek bounds
/// of RangeSql; the code condition drives). Expected ids follow the FHIR prefix definitions over
/// the ranges, worked out by hand in the comments.
/// </summary>
public class DateRangeSearchTests(DateRangeFixture fixture) : IClassFixture<DateRangeFixture>
{
    private async Task<string> Ids(string type, string query)
    {
        var result = await fixture.Store.SearchAsync(DateRangeFixture.Tenant, Query(type, query));
        return string.Join(",", result.Matches.Select(m => m.Id).Order(StringComparer.Ordinal));
    }

    [Theory]
    // eq: the whole range inside February; "overlap" starts in January, "openend" never ends.
    [InlineData("date=2020-02", "inside,othercode")]
    // ge Feb 1 and lt Mar 1 on separate conditions: everything reaching into February from either side.
    [InlineData("date=ge2020-02-01&date=lt2020-03-01", "inside,openend,othercode,overlap")]
    [InlineData("code=http://loinc.org|8302-2&date=ge2020-02-01&date=lt2020-03-01", "inside,openend,overlap")]
    // the instant exactly at the boundary: not before March 1, but within ge.
    [InlineData("date=lt2020-03-01", "day,inside,openend,openstart,othercode,overlap")]
    [InlineData("date=ge2020-03-01", "boundary,openend")]
    [InlineData("date=2020-03-01T00:00:00Z", "boundary")]
    // sa: starts after the end of Feb 1; eb: ends before Feb 1 starts.
    [InlineData("date=sa2020-02-01", "boundary,inside,openend,othercode")]
    [InlineData("date=eb2020-02-01", "day,openstart")]
    [InlineData("date=eb2020-01-06", "day,openstart")]
    [InlineData("date=eb2020-01-01", "day")]
    // le Jan 5: starts before Jan 5, or lies within it; the open start counts as -infinity.
    [InlineData("date=le2020-01-05", "day,openstart")]
    [InlineData("date=gt2020-02-25", "boundary,openend")]
    [InlineData("date=lt2020-01-15", "day,openstart")]
    // ne: not entirely within February.
    [InlineData("date=ne2020-02", "boundary,day,openend,openstart,overlap")]
    // ap with now = 2020-02-20: Feb 15 widened by its minimum of a day, so [Feb 14, Feb 16].
    [InlineData("date=ap2020-02-15", "inside,othercode,overlap")]
    [InlineData("code=http://loinc.org|8302-2&date=ap2020-02-15", "inside,overlap")]
    public async Task Date_prefixes_match_ranges_at_the_boundaries(string query, string expected) =>
        Assert.Equal(expected, await Ids("Observation", query));

    [Fact]
    public async Task Two_date_conditions_may_match_different_values_of_one_resource()
    {
        // Targets Jan 1 and Dec 31: none lies in June, but one is on or after June 1 and another
        // before July 1, which is what two separate conditions ask (FHIR AND semantics).
        Assert.Equal("g1", await Ids("Goal", "target-date=ge2020-06-01&target-date=lt2020-07-01"));
        Assert.Equal("", await Ids("Goal", "target-date=2020-06"));
    }

    [Fact]
    public async Task Pages_continue_in_key_order_under_the_driver()
    {
        var first = await fixture.Store.SearchAsync(DateRangeFixture.Tenant, Query("Observation", "code=http://loinc.org|8302-2&date=ge2019-01-01&_count=2"));
        Assert.Equal(2, first.Matches.Length);
        Assert.NotNull(first.NextCursor);
        var second = await fixture.Store.SearchAsync(DateRangeFixture.Tenant, Query("Observation", "code=http://loinc.org|8302-2&date=ge2019-01-01&_count=10") with { Cursor = first.NextCursor });
        var all = first.Matches.Concat(second.Matches).Select(m => m.Id).Order(StringComparer.Ordinal);
        Assert.Equal("boundary,day,inside,openend,openstart,overlap", string.Join(",", all));
    }
}
