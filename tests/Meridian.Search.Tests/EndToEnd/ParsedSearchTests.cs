using Meridian.Storage.Search;
using Meridian.Storage.Search.Parsing;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.EndToEnd;

/// <summary>Query string → parser → rewriters → SQL → SQLite → ids: the parser's trees mean what the spec says.</summary>
public class ParsedSearchTests(SqliteSearchFixture fixture) : IClassFixture<SqliteSearchFixture>
{
    private async Task<SearchResult> Run(string? type, string query)
    {
        var parsed = Parse(type, query, SearchHandling.Strict);
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Issues));
        return await fixture.Store.SearchAsync(SqliteSearchFixture.Tenant, parsed.Query);
    }

    private async Task<string> Ids(string? type, string query)
    {
        var result = await Run(type, query);
        return string.Join(",", result.Matches.Select(m => m.Id).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Patient", "name=peter", "p1")]
    [InlineData("Patient", "family=muller", "p2")]
    [InlineData("Patient", "family:exact=Müller", "p2")]
    [InlineData("Patient", "family:exact=muller", "")]
    [InlineData("Patient", "family:contains=halm", "p1")]
    [InlineData("Patient", @"family=Smith\, Jr", "p3")]
    [InlineData("Patient", "family=smith,chalmers", "p1,p3")]
    [InlineData("Patient", "birthdate=ge1990&birthdate=lt2001", "p2")]
    [InlineData("Patient", "birthdate=1974-12", "p1")]
    [InlineData("Patient", "birthdate:missing=true", "p3")]
    [InlineData("Patient", "gender=male,female", "p1,p2")]
    [InlineData("Patient", "gender:not=male", "p2,p3")]
    [InlineData("Patient", "identifier=urn:mrn|1", "p1")]
    [InlineData("Patient", "identifier=|1", "")]
    [InlineData("Patient", "_tag=http://x|vip", "p1")]
    [InlineData("Patient", "active=true", "p1")]
    [InlineData("Patient", "organization=Organization/org1", "p1")]
    [InlineData("Patient", "organization:Organization=org1", "p1")]
    [InlineData("Patient", "organization.name=Acme", "p1")]
    [InlineData("Patient", "organization.partof.name=Acme Group", "p1")]
    [InlineData("Patient", "organization.partof.name=Acme Health", "")]
    [InlineData("Patient", "_has:Observation:patient:code=8480-6", "p1")]
    [InlineData("Patient", "_has:Observation:subject:value-quantity=gt37|http://unitsofmeasure.org|Cel", "p2")]
    [InlineData("Patient", "_id=p1,p2&_id=p2,p3", "p2")]
    [InlineData("Organization", "_has:Patient:organization:_has:Observation:patient:code=29463-7", "org1")]
    [InlineData("Observation", "subject:Patient.name=peter", "o1,o3")]
    [InlineData("Observation", "subject.birthdate=1990", "o2")]
    [InlineData("Observation", "value-quantity=72|http://unitsofmeasure.org|kg", "o3")]
    [InlineData("Observation", "value-quantity=gt100", "o1,o3")]
    [InlineData("Observation", "code-value-quantity=http://loinc.org|8480-6$gt100", "o1")]
    [InlineData("Observation", "code-value-quantity=http://loinc.org|8480-6$lt100", "")]
    [InlineData("Observation", "date=2020-05", "o1")]
    [InlineData("Observation", "date=2020-05-01T12:30+02:00", "o1")]
    [InlineData("Observation", "code:text=body", "o2,o3")]
    [InlineData("Observation", "status=final&code=http://loinc.org|29463-7,http://loinc.org|8480-6", "o1,o3")]
    [InlineData(null, "_type=Patient,Practitioner&name=eve", "dr1,p2")]
    [InlineData(null, "_type=Patient&name=eve", "p2")]
    [InlineData(null, "_id=p1,o1", "o1,p1")]
    public async Task Parsed_query_finds_the_expected_resources(string? type, string query, string expected) =>
        Assert.Equal(expected, await Ids(type, query));

    [Fact]
    public async Task Sort_descending_puts_missing_values_last()
    {
        var result = await Run("Patient", "_sort=-birthdate");
        Assert.Equal(["p2", "p1", "p3"], result.Matches.Select(m => m.Id).ToArray());
    }

    [Fact]
    public async Task Include_brings_the_subject()
    {
        var result = await Run("Observation", "code=8480-6&_include=Observation:subject");
        Assert.Equal(["o1"], result.Matches.Select(m => m.Id).ToArray());
        Assert.Equal(["p1"], result.Included.Select(m => m.Id).ToArray());
    }

    [Fact]
    public async Task Revinclude_brings_the_observations()
    {
        var result = await Run("Patient", "_id=p1&_revinclude=Observation:subject");
        Assert.Equal(["o1", "o3"], result.Included.Select(m => m.Id).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Count_and_total()
    {
        var result = await Run("Patient", "_count=2&_total=accurate");
        Assert.Equal(2, result.Matches.Length);
        Assert.Equal(3, result.Total);
        Assert.NotNull(result.NextCursor);
    }

    [Theory]
    [InlineData("Observation", "", "o1,o3")]
    [InlineData("Observation", "code=29463-7", "o3")]
    [InlineData("Patient", "", "p1")]
    public async Task Compartment_search(string type, string query, string expected)
    {
        var parsed = SearchQueryParser.R4.Parse(type, Pairs(query), SearchHandling.Strict, new SearchCompartment("Patient", "p1"));
        Assert.False(parsed.HasErrors, string.Join("\n", parsed.Issues));
        var result = await fixture.Store.SearchAsync(SqliteSearchFixture.Tenant, parsed.Query);
        Assert.Equal(expected, string.Join(",", result.Matches.Select(m => m.Id).Order(StringComparer.Ordinal)));
    }
}
