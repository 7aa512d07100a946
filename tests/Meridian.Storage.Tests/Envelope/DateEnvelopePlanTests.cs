using System.Collections.Immutable;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Parsing;
using Meridian.Testing;

namespace Meridian.Storage.Tests.Envelope;

/// <summary>
/// A code+date search driven from the date envelope, from the code, or as the counts decide
/// returns the same matches, the same pages (cursors included) and the same totals, on both
/// stores, for every prefix that bounds a window and for some that do not.
/// </summary>
public abstract class DateEnvelopePlanTests(DateEnvelopeFixture fixture)
{
    public static TheoryData<string> Queries => new()
    {
        "code=a&date=ge2015-06-01&date=lt2015-07-01",
        "code=http://loinc.org|b&date=ge2015-06-01&date=lt2015-07-01",
        "date=ge2015-06-01&date=lt2015-07-01",
        "date=gt2015-06-01&date=le2015-06-30",
        "code=a&date=2015-06",
        "date=eq2015",
        "code=a&date=eq2015-06-15",
        "code=a&date=sa2015-05-31&date=eb2015-07-01",
        "date=sa2015-06-10&date=lt2015-06-20",
        "date=ge2015-06-01&date=lt2015-07-01&date=ne2015-06",
        "code=a&date=ge2015-06-01&date=lt2015-07-01&date=ne2015-06-30",
        "date=ap2015-06-15",
        "code=b&date=ap2015-06-15&date=lt2016",
        "code=a&date=ge2015-06-01",
        "date=lt1995",
        "date=ge2040&date=lt2041",
        "date=ge2015-07-01&date=lt2015-06-01",
        "code=a&date=ge2015-06-01T00:00:00Z&date=lt2015-06-14T12:00:00Z",
        "code=a,b&date=ge2015-06-01&date=lt2015-07-01",
        "code:not=a&date=ge2015-06-01&date=lt2015-07-01",
        "date:missing=false&date=ge2015-06-01&date=le2015-06",
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Date_and_code_drivers_give_the_same_pages_and_totals(string query)
    {
        var fromCode = await PagesAsync(fixture.FromCode, query);
        var fromDate = await PagesAsync(fixture.FromDate, query);
        var auto = await PagesAsync(fixture.Auto, query);
        Assert.Equal(fromCode.Ids, fromDate.Ids);
        Assert.Equal(fromCode.Pages, fromDate.Pages);
        Assert.Equal(fromCode.Pages, auto.Pages);
        Assert.Equal((long?)fromCode.Ids.Count, fromDate.Total);
        Assert.Equal(fromCode.Total, fromDate.Total);
        Assert.Equal(fromCode.Ids.Distinct().Count(), fromCode.Ids.Count);
    }

    /// <summary>The cases the envelope exists for, with answers written out (so both plans
    /// being wrong the same way would fail too).</summary>
    /// <remarks>Computed independently of the store (FHIR's per-condition "some row matches"
    /// over the fixture's ranges): o35 (Timing 1 May and 1 August) matches ge June and lt July
    /// with two different rows; o29, o30 and o32 are ranges that start long before June; o37
    /// (Timing 2014, 2016) has no row inside 2015.</remarks>
    [Theory]
    [InlineData("code=a&date=ge2015-06-01&date=lt2015-07-01", "o08,o09,o11,o25,o26,o29,o30,o32,o35,o36,o38,o40")]
    [InlineData("date=eq2015", "o01,o02,o03,o04,o07,o08,o09,o10,o11,o12,o13,o14,o15,o16,o17,o18,o19,o20,o21,o22,o23,o24,o25,o26,o27,o28,o35,o36,o38,o40")]
    [InlineData("code=a&date=sa2015-05-31&date=eb2015-07-01", "o08,o09,o11,o26,o35,o36,o38,o40")]
    public async Task The_date_driven_plan_finds_what_the_spec_says(string query, string expected)
    {
        var wanted = expected.Split(',').ToList();
        var fromDate = await PagesAsync(fixture.FromDate, query);
        Assert.Equal(wanted, fromDate.Ids);
    }

    [Fact]
    public async Task A_deleted_resource_and_an_old_version_have_no_envelope_match()
    {
        var fromDate = await PagesAsync(fixture.FromDate, "date=ge2015-06-01&date=lt2015-07-01");
        Assert.DoesNotContain(DateEnvelopeFixture.Deleted, fromDate.Ids);
        Assert.DoesNotContain(DateEnvelopeFixture.Moved, fromDate.Ids);
        Assert.Contains(DateEnvelopeFixture.MovedIn, fromDate.Ids);
    }

    /// <summary>Every page of 2, in order, following the cursors (bounded), with the total.</summary>
    private static Task<(List<string> Ids, List<string> Pages, long? Total)> PagesAsync(IFhirStore store, string query)
        => StorePages.AllAsync(store, DateEnvelopeFixture.Tenant, Parse(query) with { Count = 2, Total = TotalMode.Accurate }, 40);

    internal static SearchQuery Parse(string query)
    {
        var pairs = query.Split('&').Select(p => p.Split('=', 2)).Select(p => new QueryParameter(p[0], p[1])).ToImmutableArray();
        var result = SearchQueryParser.R4.Parse("Observation", pairs, SearchHandling.Strict);
        Assert.True(result.Issues.IsEmpty, string.Join("\n", result.Issues));
        return result.Query;
    }
}

public sealed class SqliteDateEnvelopePlanTests(SqliteDateEnvelopeFixture fixture) : DateEnvelopePlanTests(fixture), IClassFixture<SqliteDateEnvelopeFixture>;

public sealed class PostgresDateEnvelopePlanTests(PostgresDateEnvelopeFixture fixture) : DateEnvelopePlanTests(fixture), IClassFixture<PostgresDateEnvelopeFixture>;
