using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Parsing;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class HandlingTests
{
    private const string Mixed = "name=peter&shoe=42&birthdate=2020-13&_count=10&gender=male";

    [Fact]
    public void Strict_reports_every_bad_parameter_as_an_error()
    {
        var result = Parse("Patient", Mixed, SearchHandling.Strict);
        Assert.True(result.HasErrors);
        Assert.Equal(
            [(IssueSeverity.Error, IssueType.NotFound, "shoe"), (IssueSeverity.Error, IssueType.Invalid, "birthdate")],
            result.Issues.Select(i => (i.Severity, i.Code, i.Expression)).ToArray());
        Assert.Empty(result.Ignored);
    }

    [Fact]
    public void Lenient_drops_bad_parameters_and_runs_the_rest()
    {
        var result = Parse("Patient", Mixed, SearchHandling.Lenient);
        Assert.False(result.HasErrors);
        Assert.Equal([new QueryParameter("shoe", "42"), new QueryParameter("birthdate", "2020-13")], result.Ignored.ToArray());
        Assert.Equal([new QueryParameter("name", "peter"), new QueryParameter("_count", "10"), new QueryParameter("gender", "male")], result.Applied.ToArray());
        Assert.All(result.Issues, i => Assert.Equal(IssueSeverity.Warning, i.Severity));
        Assert.Equal(2, result.Issues.Length);
        Assert.Contains("parameter ignored", result.Issues[0].Message);
        Assert.Equal(And(P("name", new StringPredicate("peter")), P("gender", Token(null, "male"))), result.Query.Filter);
        Assert.Equal(10, result.Query.Count);
    }

    [Fact]
    public void Lenient_never_keeps_half_a_parameter()
    {
        // One bad OR value drops the whole pair: searching by the good half would widen the result.
        var result = Parse("Observation", "code=a,|&status=final", SearchHandling.Lenient);
        Assert.Equal(P("status", Token(null, "final")), result.Query.Filter);
        Assert.Equal([new QueryParameter("code", "a,|")], result.Ignored.ToArray());
    }

    [Fact]
    public void Lenient_bad_result_parameter_falls_back_to_the_default()
    {
        var result = Parse("Patient", "_count=lots&_total=maybe&_sort=shoe", SearchHandling.Lenient);
        Assert.Equal((50, Meridian.Storage.Search.TotalMode.None, 0), (result.Query.Count, result.Query.Total, result.Query.Sort.Length));
        Assert.Equal(3, result.Ignored.Length);
    }

    [Fact]
    public void Strict_without_problems_has_no_issues()
    {
        var result = Parse("Patient", "name=peter&_count=5", SearchHandling.Strict);
        Assert.Empty(result.Issues);
        Assert.Equal(2, result.Applied.Length);
    }

    [Fact]
    public void Default_handling_is_lenient()
    {
        var result = SearchQueryParser.R4.Parse("Patient", Pairs("shoe=1"));
        Assert.False(result.HasErrors);
        Assert.Single(result.Ignored);
    }

    [Fact]
    public void Key_value_pair_overload_gives_the_same_result()
    {
        var a = SearchQueryParser.R4.Parse("Patient", [new KeyValuePair<string, string>("name", "x"), new KeyValuePair<string, string>("_count", "3")]);
        var b = Parse("Patient", "name=x&_count=3", SearchHandling.Lenient);
        Assert.Equal(b.Query, a.Query);
    }

    [Fact]
    public void Parser_is_safe_to_share_across_threads()
    {
        var queries = new[] { "name=a&birthdate=ge2000", "_has:Observation:patient:code=x", "organization.name=Acme&_sort=-birthdate", "identifier=s|v,w" };
        // SearchQuery's arrays compare by reference, so compare the parts.
        static bool Same(Meridian.Storage.Search.SearchQuery a, Meridian.Storage.Search.SearchQuery b) => Equals(a.Filter, b.Filter) && a.Sort.SequenceEqual(b.Sort);
        var expected = queries.Select(q => Query("Patient", q)).ToArray();
        var mismatches = 0;
        Parallel.For(0, 400, i =>
        {
            var q = i % queries.Length;
            if (!Same(Query("Patient", queries[q]), expected[q]))
            {
                Interlocked.Increment(ref mismatches);
            }
        });
        Assert.Equal(0, mismatches);
    }

    [Theory]
    [InlineData("Observation", "shoe=42", IssueType.NotFound)]
    [InlineData("Observation", "date=2020-13-01", IssueType.Invalid)]
    [InlineData("Observation", "date=xx2020", IssueType.Invalid)]
    [InlineData("Observation", "value-quantity=zz5", IssueType.Invalid)]
    [InlineData("Observation", "code:exact=a", IssueType.Invalid)]
    [InlineData("Observation", "code:in=http://vs", IssueType.NotSupported)]
    [InlineData("Observation", "subject.name=x", IssueType.Invalid)]
    [InlineData("Observation", "subject:Medication.code=x", IssueType.Invalid)]
    [InlineData("Patient", "_has:Observation:encounter:code=x", IssueType.Invalid)]
    [InlineData("Patient", "_sort=shoe", IssueType.NotFound)]
    [InlineData("Patient", "_include=Patient:name", IssueType.NotFound)]
    [InlineData("Patient", "_text=x", IssueType.NotSupported)]
    public void Each_kind_of_problem_is_an_error_when_strict_and_an_ignored_warning_when_lenient(string type, string query, string code)
    {
        var strict = Parse(type, query + "&_count=5", SearchHandling.Strict);
        var strictIssue = Assert.Single(strict.Issues);
        Assert.Equal((IssueSeverity.Error, code), (strictIssue.Severity, strictIssue.Code));
        Assert.Empty(strict.Ignored);

        var lenient = Parse(type, query + "&_count=5", SearchHandling.Lenient);
        var lenientIssue = Assert.Single(lenient.Issues);
        Assert.Equal((IssueSeverity.Warning, code), (lenientIssue.Severity, lenientIssue.Code));
        Assert.Equal([Pairs(query)[0]], lenient.Ignored.ToArray());
        Assert.Equal([new QueryParameter("_count", "5")], lenient.Applied.ToArray());
        Assert.Null(lenient.Query.Filter);
        Assert.Equal(5, lenient.Query.Count);
    }

    [Fact]
    public void Prefix_letters_on_a_token_are_part_of_the_code() =>
        Assert.Equal(P("code", Token(null, "gt5")), Filter("Observation", "code=gt5"));
}
