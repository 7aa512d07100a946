using Meridian.Storage.Relational;
using Meridian.Storage.Relational.Sql;
using Meridian.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.EndToEnd;

/// <summary>
/// The page statement's shape (docs/adr/0011-search-sql-shapes.md): one driver, per-row probes
/// for the rest, and a plan that streams in resource_key order (SQLite's EXPLAIN QUERY PLAN on
/// the migrated schema shows no sort), so a page stops after its rows instead of evaluating
/// every match.
/// </summary>
public class SearchSqlShapeTests(DateRangeFixture fixture) : IClassFixture<DateRangeFixture>
{
    private static readonly SearchSqlGenerator s_sqlite = new(SqliteDialect.Instance);
    private static readonly DateTimeOffset s_now = new(2020, 2, 20, 0, 0, 0, TimeSpan.Zero);

    private static SqlStatement Page(string type, string query) => s_sqlite.Page(DateRangeFixture.Tenant, Query(type, query), 0, 50, s_now);

    private static int Count(string text, string what) => (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    [Theory]
    // Key-driven pages: the driver's index rows (alias i), probes on i.resource_key, grouped per key.
    [InlineData("Observation", "code=http://loinc.org|8302-2&date=ge2020-02-01&date=lt2020-03-01", "FROM token_index i", 2)]
    [InlineData("Observation", "patient=Patient/p1&code=http://loinc.org|8302-2", "FROM reference_index i", 1)]
    [InlineData("Observation", "date=ge2020-02-01&code=http://loinc.org|8302-2&patient=p1", "FROM reference_index i", 2)]
    [InlineData("Observation", "subject:Patient._id=p1&code=8302-2", "FROM token_index i", 1)]
    // The resources row decides (_has needs its id, _id its key): the resources form, no driver.
    [InlineData("Patient", "_has:Observation:patient:code=http://loinc.org|8302-2", null, 2)]
    [InlineData("Observation", "_id=overlap&code=8302-2", null, 1)]
    public void One_condition_drives_and_the_others_probe(string type, string query, string? driver, int probes)
    {
        var text = Page(type, query).Text;
        if (driver is null)
        {
            Assert.DoesNotContain("GROUP BY i.resource_key", text, StringComparison.Ordinal);
            Assert.Equal(0, Count(text, "resource_key IN (SELECT"));
        }
        else
        {
            Assert.Contains($"SELECT i.resource_key {driver} WHERE", text, StringComparison.Ordinal);
            Assert.Contains("GROUP BY i.resource_key ORDER BY i.resource_key LIMIT", text, StringComparison.Ordinal);
        }
        Assert.Equal(probes, Count(text, "EXISTS (SELECT 1"));
    }

    [Fact]
    public void A_chain_drives_through_an_uncorrelated_sub_query_when_the_resources_row_is_needed()
    {
        var text = Page("Observation", "subject:Patient.name=peter&_lastUpdated=gt2000").Text;
        Assert.Contains("r.resource_key IN (SELECT ri1.resource_key FROM reference_index ri1", text, StringComparison.Ordinal);
        Assert.Contains("t1.resource_key IN (SELECT i.resource_key FROM string_index i", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rare_has_source_drives_the_page_from_the_sources()
    {
        var query = Query("Patient", "_has:Observation:patient:code=http://loinc.org|8480-6&family=smith");
        var probe = Assert.Single(s_sqlite.SourceProbes(DateRangeFixture.Tenant, query, 1000, s_now));
        Assert.StartsWith("SELECT count(*) FROM (SELECT 1 FROM token_index i WHERE i.tenant = @p0 AND i.type = @p1 AND i.param = @p2", probe.Count.Text, StringComparison.Ordinal);
        Assert.EndsWith("LIMIT @p5) c", probe.Count.Text, StringComparison.Ordinal);
        Assert.Equal(1000L, probe.Count.Values[^1]);

        var semiJoin = Page("Patient", "_has:Observation:patient:code=http://loinc.org|8480-6&family=smith").Text;
        Assert.Contains("EXISTS (SELECT 1 FROM reference_index ri1", semiJoin, StringComparison.Ordinal);

        var plan = new SearchPlan([probe.Has]);
        var driven = s_sqlite.Page(DateRangeFixture.Tenant, query, 0, 50, s_now, plan: plan);
        Assert.Contains("r.resource_key IN (SELECT t1.resource_key FROM resources s1 JOIN reference_index ri1", driven.Text, StringComparison.Ordinal);
        Assert.Contains("s1.resource_key IN (SELECT i.resource_key FROM token_index i", driven.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("EXISTS (SELECT 1 FROM reference_index", driven.Text, StringComparison.Ordinal);
        // The family condition probes; nothing walks the Patients in key order.
        var explained = await ExplainAsync(driven);
        Assert.DoesNotContain("SCAN r", explained, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_top_level_has_with_a_drivable_source_is_counted()
    {
        Assert.Empty(s_sqlite.SourceProbes(DateRangeFixture.Tenant, Query("Patient", "family=smith"), 1000, s_now));
        Assert.Empty(s_sqlite.SourceProbes(DateRangeFixture.Tenant, Query("Patient", "_has:Observation:patient:code:not=8480-6"), 1000, s_now));
        Assert.Empty(s_sqlite.SourceProbes(DateRangeFixture.Tenant, Query("Patient", "_has:Observation:patient:code=8480-6"), 0, s_now));
        Assert.Equal(2, s_sqlite.SourceProbes(DateRangeFixture.Tenant, Query("Patient", "_has:Observation:patient:code=8480-6&_has:Observation:subject:status=final"), 1000, s_now).Count);
    }

    [Theory]
    [InlineData("Observation", "code=http://loinc.org|8302-2&date=ge2020-02-01&date=lt2020-03-01")]
    [InlineData("Observation", "patient=p1&code=http://loinc.org|8302-2")]
    [InlineData("Patient", "_has:Observation:patient:code=http://loinc.org|8302-2")]
    [InlineData("Observation", "date=ge2020-02-01")]
    public async Task The_page_plan_streams_in_key_order_without_a_sort(string type, string query)
    {
        var statement = Page(type, query);
        var plan = await ExplainAsync(statement);
        Assert.DoesNotContain("TEMP B-TREE FOR ORDER BY", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("SCAN r", plan, StringComparison.Ordinal);
    }

    private async Task<string> ExplainAsync(SqlStatement statement)
    {
        await using var connection = new SqliteConnection("Data Source=" + fixture.DatabasePath + ";Mode=ReadOnly");
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "EXPLAIN QUERY PLAN " + statement.Text;
        for (var i = 0; i < statement.Values.Count; i++)
        {
            cmd.Parameters.AddWithValue("@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), statement.Values[i] ?? DBNull.Value);
        }
        var lines = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(3));
        }
        return string.Join("\n", lines);
    }
}
