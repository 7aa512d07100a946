using Meridian.Storage.Search.Parsing;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

/// <summary>Malformed input is an issue, never an exception, in both modes.</summary>
public class RobustnessTests
{
    private static readonly string[] Keys =
    [
        "", ":", ".", "..", "_", "_has", "_has:", "_has::::", "_has:Observation", "_has:Observation:patient", "_has:Observation:patient:",
        "_has:Observation:patient:_has", "_has:Observation:patient:.name", "subject:", "subject.", "subject..name", "subject:.name", "subject:Patient.",
        "subject:Patient..name", "subject:Patient.name.", "subject:Patient.name:", "name:", "name::exact", "name:exact:contains", "code:not:text",
        "_include", "_include:", "_include:iterate:x", "_revinclude", "_sort", "_count", "_total", "_summary", "_elements", "_type", "_id", "_id:",
        "_lastUpdated", "_tag", "value-quantity", "code-value-quantity", "near", "date", "birthdate", "identifier:of-type", "_contained", "_cursor",
        "patient._has:Observation:patient:code", "ä", "subject:Patient.organization.partof.partof.partof.name",
    ];

    private static readonly string[] Values =
    [
        "", ",", ",,", "$", "$$", "|", "||", "|||", "\\", "a\\", "\\,", "\\\\\\", "gt", "eq", "xx", "ge-", "1e999", "-", ".", "1.", "9999-12-31T23:59:59.9999999+14:00",
        "0001-01-01T00:00:00-14:00", "2020-02-30", ":", "Patient/", "/1", "Patient/1/_history/", "http://", "urn:", "a$b$c", "1|2|3|4|5", "*", "Observation:*:Foo",
        "-", "--x", "-_id", "2147483648", "ä|ö$ü", new string('x', 2000),
    ];

    [Theory]
    [InlineData("Patient")]
    [InlineData("Observation")]
    [InlineData("Location")]
    [InlineData(null)]
    public void No_combination_throws(string? type)
    {
        var parsed = 0;
        foreach (var key in Keys)
        {
            foreach (var value in Values)
            {
                foreach (var handling in new[] { SearchHandling.Strict, SearchHandling.Lenient })
                {
                    var result = SearchQueryParser.R4.Parse(type, [new QueryParameter(key, value)], handling);
                    Assert.NotNull(result.Query);
                    // The pair is accounted for exactly once: applied, or ignored (lenient) / an error (strict).
                    var rejected = handling == SearchHandling.Lenient ? result.Ignored.Length : (result.HasErrors ? 1 : 0);
                    Assert.True(result.Applied.Length + rejected == 1, $"{handling} {key}={value}: {string.Join("; ", result.Issues)}");
                    Assert.True(handling == SearchHandling.Strict ? result.Ignored.IsEmpty : !result.HasErrors, $"{key}={value}");
                    parsed++;
                }
            }
        }
        Assert.Equal(Keys.Length * Values.Length * 2, parsed);
    }

    [Fact]
    public void Extreme_dates_clamp_instead_of_overflowing()
    {
        var high = Predicate("Patient", "birthdate=9999-12-31T23:59:59.9999999-14:00");
        var low = Predicate("Patient", "birthdate=0001-01-01T00:00:00+14:00");
        Assert.Equal(DateTimeOffset.MaxValue, ((Meridian.Storage.Search.Expressions.DatePredicate)high).High);
        Assert.Equal(DateTimeOffset.MinValue, ((Meridian.Storage.Search.Expressions.DatePredicate)low).Low);
    }
}
