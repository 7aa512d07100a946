using Meridian.Storage;
using Meridian.Storage.Search;
using Meridian.Testing;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.EndToEnd;

/// <summary>
/// <c>_has</c> driven from its sources (rare source condition) and from its targets (the
/// semi-join per candidate) return the same matches, the same pages and the same totals, on
/// both stores.
/// </summary>
public abstract class HasPlanTests(HasPlanFixture fixture)
{
    public static TheoryData<string, string, string> Queries => new()
    {
        { "Patient", "_has:Observation:patient:code=http://loinc.org|rare", "p11,p3,p7" },
        { "Patient", "_has:Observation:patient:code=rare&_has:Observation:patient:status=amended", "p3,p7" },
        { "Patient", "_has:Observation:patient:code=rare,other", "p11,p3,p7,p9" },
        { "Patient", "_has:Observation:patient:code=rare&family=odd", "p11,p3,p7" },
        { "Patient", "_has:Observation:patient:code=rare&family=even", "" },
        { "Patient", "_has:Observation:patient:code=absent", "" },
        { "Patient", "_has:Observation:patient:code=common&_has:Observation:patient:status=amended", "p3,p6,p7,p9" },
        { "Patient", "_has:Observation:performer:code=two", "p2,p4" },
        { "Patient", "_has:Observation:subject:code=common", "p1,p10,p11,p2,p3,p4,p5,p6,p7,p8,p9" },
        { "Patient", "_has:Observation:patient:code=rare&_has:Observation:patient:code=common", "p11,p3,p7" },
        { "Patient", "_id=p3,p7,p8&_has:Observation:patient:code=rare", "p3,p7" },
        { "Patient", "_has:Observation:patient:code:not=common", "p11,p3,p7,p9" },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Both_sides_give_the_same_pages_and_totals(string type, string query, string expected)
    {
        var fromSources = await PagesAsync(fixture.FromSources, type, query);
        var fromTargets = await PagesAsync(fixture.FromTargets, type, query);
        Assert.Equal(expected, string.Join(",", fromTargets.Ids.Order(StringComparer.Ordinal)));
        Assert.Equal(fromTargets.Ids, fromSources.Ids);
        Assert.Equal(fromTargets.Pages, fromSources.Pages);
        Assert.Equal((long?)fromTargets.Ids.Count, fromSources.Total);
        Assert.Equal(fromTargets.Total, fromSources.Total);
    }

    [Fact]
    public async Task Sorted_pages_agree_too()
    {
        const string query = "_has:Observation:patient:code=rare,common&_sort=-family";
        var fromSources = await PagesAsync(fixture.FromSources, "Patient", query);
        var fromTargets = await PagesAsync(fixture.FromTargets, "Patient", query);
        Assert.Equal(11, fromTargets.Ids.Count);
        Assert.Equal(fromTargets.Ids, fromSources.Ids);
    }

    /// <summary>Every page of 2, in order, following the cursors (bounded), with the total.</summary>
    private static Task<(List<string> Ids, List<string> Pages, long? Total)> PagesAsync(IFhirStore store, string type, string query)
        => StorePages.AllAsync(store, HasPlanFixture.Tenant, Query(type, query) with { Count = 2, Total = TotalMode.Accurate }, 20);
}

public sealed class SqliteHasPlanTests(SqliteHasPlanFixture fixture) : HasPlanTests(fixture), IClassFixture<SqliteHasPlanFixture>;

public sealed class PostgresHasPlanTests(PostgresHasPlanFixture fixture) : HasPlanTests(fixture), IClassFixture<PostgresHasPlanFixture>;
