using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class StringParsingTests
{
    [Fact]
    public void Default_is_starts_with_on_the_value_as_written() =>
        Assert.Equal(P("name", new StringPredicate("Müller")), Filter("Patient", "name=Müller"));

    [Fact]
    public void Exact_and_contains() =>
        Assert.Equal(And(P("family", new StringPredicate("Chalmers", StringMatch.Exact)), P("given", new StringPredicate("im", StringMatch.Contains))),
            Filter("Patient", "family:exact=Chalmers&given:contains=im"));

    [Fact]
    public void Prefix_letters_are_part_of_a_string_value() =>
        // Prefixes belong to ordered types only; "gt" here is just the start of a name.
        Assert.Equal(P("name", new StringPredicate("gtx")), Filter("Patient", "name=gtx"));

    [Fact]
    public void Or_of_strings() =>
        Assert.Equal(Or(P("given", new StringPredicate("eve")), P("given", new StringPredicate("adam"))), Filter("Patient", "given=eve,adam"));

    [Fact]
    public void Missing_on_a_string() =>
        Assert.Equal(new MissingExpression("family", Meridian.Fhir.Specification.SearchParamType.String, true), Filter("Patient", "family:missing=true"));

    [Theory]
    [InlineData("name:not=x")]
    [InlineData("name:below=x")]
    [InlineData("name:of-type=a|b|c")]
    [InlineData("name:Patient=x")]
    public void Modifiers_of_other_types_are_invalid(string query)
    {
        var error = Error("Patient", query);
        Assert.Equal(IssueType.Invalid, error.Code);
        Assert.Contains("string parameter 'name'", error.Message);
    }

    [Fact]
    public void Empty_modifier_is_invalid() =>
        Assert.Contains("not a valid parameter name", Error("Patient", "name:=x").Message);

    [Fact]
    public void Unknown_parameter_is_not_found() =>
        Assert.Equal((IssueType.NotFound, "unknown search parameter 'shoe-size' for Patient"),
            (Error("Patient", "shoe-size=42").Code, Error("Patient", "shoe-size=42").Message));
}
