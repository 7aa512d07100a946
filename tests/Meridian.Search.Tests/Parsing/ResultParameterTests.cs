using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Parsing;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class ResultParameterTests
{
    [Fact]
    public void Defaults_without_result_parameters()
    {
        var query = Query("Patient", "");
        Assert.Equal(("Patient", null, 50, TotalMode.None), (query.ResourceType, query.Filter, query.Count, query.Total));
        Assert.Empty(query.Sort.ToArray());
        Assert.Empty(query.Includes.ToArray());
        Assert.Equal(SearchResultShape.Default, Parse("Patient", "").Shape);
    }

    [Fact]
    public void Sort_keys_in_order_with_direction() =>
        Assert.Equal([new SortKey("birthdate", SearchParamType.Date, true), new SortKey("family", SearchParamType.String), new SortKey("_id", SearchParamType.Token), new SortKey("_lastUpdated", SearchParamType.Date, true)],
            Query("Patient", "_sort=-birthdate,family,_id,-_lastUpdated").Sort.ToArray());

    [Fact]
    public void Sort_by_unknown_parameter_is_an_error() =>
        Assert.Equal(IssueType.NotFound, Error("Patient", "_sort=shoe").Code);

    [Fact]
    public void Sort_by_composite_is_not_supported() =>
        Assert.Equal(IssueType.NotSupported, Error("Observation", "_sort=code-value-quantity").Code);

    [Fact]
    public void Sort_with_empty_key_is_an_error() =>
        Assert.Contains("empty key", Error("Patient", "_sort=family,,-").Message);

    [Fact]
    public void Count_is_read() => Assert.Equal(10, Query("Patient", "_count=10").Count);

    [Fact]
    public void Count_zero_is_allowed() => Assert.Equal(0, Query("Patient", "_count=0").Count);

    [Fact]
    public void Count_above_the_maximum_is_lowered_with_a_warning()
    {
        var result = Parse("Patient", "_count=5000");
        Assert.Equal(1000, result.Query.Count);
        Assert.False(result.HasErrors);
        Assert.Equal(IssueType.TooCostly, Assert.Single(result.Issues).Code);
    }

    [Fact]
    public void Count_bounds_are_configurable()
    {
        var parser = new SearchQueryParser(SearchParserOptions.Default with { DefaultCount = 20, MaxCount = 100 });
        Assert.Equal(20, parser.Parse("Patient", Pairs("")).Query.Count);
        Assert.Equal(100, parser.Parse("Patient", Pairs("_count=101")).Query.Count);
    }

    [Fact]
    public void Inconsistent_count_options_are_refused() =>
        Assert.Throws<ArgumentException>(() => new SearchQueryParser(SearchParserOptions.Default with { DefaultCount = 2000 }));

    [Theory]
    [InlineData("_count=-1")]
    [InlineData("_count=ten")]
    [InlineData("_count=1.5")]
    [InlineData("_count=")]
    public void Bad_counts_are_errors(string query) => Assert.Equal(IssueType.Invalid, Error("Patient", query).Code);

    [Fact]
    public void Count_twice_is_an_error() => Assert.Contains("only once", Error("Patient", "_count=1&_count=2").Message);

    [Theory]
    [InlineData("none", TotalMode.None)]
    [InlineData("estimate", TotalMode.Estimate)]
    [InlineData("accurate", TotalMode.Accurate)]
    public void Total_modes(string value, TotalMode expected) => Assert.Equal(expected, Query("Patient", "_total=" + value).Total);

    [Fact]
    public void Bad_total_is_an_error() => Assert.Contains("none, estimate or accurate", Error("Patient", "_total=all").Message);

    [Theory]
    [InlineData("true", SummaryMode.True)]
    [InlineData("text", SummaryMode.Text)]
    [InlineData("data", SummaryMode.Data)]
    [InlineData("count", SummaryMode.Count)]
    [InlineData("false", SummaryMode.False)]
    public void Summary_modes(string value, SummaryMode expected)
    {
        var result = Parse("Patient", "_summary=" + value);
        Assert.Empty(result.Issues);
        Assert.Equal(expected, result.Shape.Summary);
    }

    [Fact]
    public void Bad_summary_is_an_error() => Assert.Equal(IssueType.Invalid, Error("Patient", "_summary=short").Code);

    [Fact]
    public void Elements_are_checked_against_the_type()
    {
        var result = Parse("Patient", "_elements=name,birthDate,name");
        Assert.Empty(result.Issues);
        Assert.Equal(["name", "birthDate"], result.Shape.Elements.ToArray());
        Assert.Contains("Patient has no element 'shoe'", Error("Patient", "_elements=name,shoe").Message);
    }

    [Fact]
    public void Elements_accept_choice_json_names() =>
        Assert.Equal(["valueQuantity", "value"], Parse("Observation", "_elements=valueQuantity,value").Shape.Elements.ToArray());

    [Fact]
    public void Include_with_and_without_target() =>
        Assert.Equal([new IncludeDescriptor("Observation", "subject"), new IncludeDescriptor("Observation", "subject", "Patient")],
            Query("Observation", "_include=Observation:subject&_include=Observation:subject:Patient").Includes.ToArray());

    [Fact]
    public void Include_iterate_and_legacy_recurse() =>
        Assert.Equal([new IncludeDescriptor("Patient", "general-practitioner") { Iterate = true }, new IncludeDescriptor("Organization", "partof") { Iterate = true }],
            Query("Observation", "_include:iterate=Patient:general-practitioner&_include:recurse=Organization:partof").Includes.ToArray());

    [Fact]
    public void Include_star_expands_to_every_reference_parameter()
    {
        var includes = Query("Observation", "_include=Observation:*").Includes;
        var expected = FhirSpec.R4.SearchParametersFor("Observation").Where(p => p.Type == SearchParamType.Reference).Select(p => p.Code).ToList();
        Assert.Equal(expected, includes.Select(i => i.ReferenceCode));
        Assert.Contains("subject", expected);
        Assert.All(includes, i => Assert.Equal("Observation", i.SourceType));
    }

    [Fact]
    public void Include_star_with_target_keeps_parameters_that_can_point_there()
    {
        var includes = Query("Observation", "_include=Observation:*:Encounter").Includes;
        Assert.Contains(new IncludeDescriptor("Observation", "encounter", "Encounter"), includes);
        Assert.DoesNotContain(includes, i => i.ReferenceCode == "device");
    }

    [Fact]
    public void Include_from_another_type_needs_iterate() =>
        Assert.Contains("use _include:iterate", Error("Observation", "_include=Patient:organization").Message);

    [Theory]
    [InlineData("_include=Observation", "expected SourceType:parameter")]
    [InlineData("_include=Observation:code", "not a reference search parameter")]
    [InlineData("_include=Observation:subject:Medication", "cannot refer to Medication")]
    [InlineData("_include=Observaton:subject", "not a resource type")]
    [InlineData("_include:deep=Observation:subject", "only :iterate")]
    public void Bad_includes_are_errors(string query, string message) =>
        Assert.Contains(message, Error("Observation", query).Message);

    [Fact]
    public void Revinclude() =>
        Assert.Equal([new IncludeDescriptor("Provenance", "target"), new IncludeDescriptor("Observation", "subject", "Patient") { Iterate = true }],
            Query("Patient", "_revinclude=Provenance:target&_revinclude:iterate=Observation:subject:Patient").RevIncludes.ToArray());

    [Fact]
    public void Revinclude_that_cannot_point_at_the_searched_type_is_an_error() =>
        Assert.Contains("cannot refer to the searched type", Error("Patient", "_revinclude=Observation:encounter").Message);

    [Fact]
    public void Contained_is_not_supported_except_the_default()
    {
        Assert.Empty(Parse("Patient", "_contained=false").Issues);
        Assert.Equal(IssueType.NotSupported, Error("Patient", "_contained=true").Code);
    }

    [Theory]
    [InlineData("_text=x")]
    [InlineData("_content=x")]
    [InlineData("_filter=name eq x")]
    [InlineData("_list=1")]
    [InlineData("_query=x")]
    public void Defined_but_unimplemented_parameters_are_not_supported(string query) =>
        Assert.Equal(IssueType.NotSupported, Error("Patient", query).Code);

    [Fact]
    public void Transport_parameters_are_applied_without_effect()
    {
        var result = Parse("Patient", "_format=json&_pretty=true");
        Assert.Empty(result.Issues);
        Assert.Equal(2, result.Applied.Length);
        Assert.Null(result.Query.Filter);
    }

    [Fact]
    public void Cursor_is_passed_through() => Assert.Equal("abc", Query("Patient", "_cursor=abc").Cursor);

    [Fact]
    public void Result_parameters_take_no_modifier() => Assert.Contains("takes no modifier", Error("Patient", "_count:x=1").Message);

    [Fact]
    public void Unknown_resource_type_is_an_error_in_any_mode()
    {
        var result = Parse("Patent", "name=x", SearchHandling.Lenient);
        Assert.True(result.HasErrors);
        Assert.Contains("'Patent' is not a resource type", result.Issues[0].Message);
    }
}
