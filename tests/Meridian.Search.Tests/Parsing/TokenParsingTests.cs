using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class TokenParsingTests
{
    [Fact]
    public void Code_only_matches_any_system() =>
        Assert.Equal(P("code", Token(null, "1234-5")), Filter("Observation", "code=1234-5"));

    [Fact]
    public void System_and_code() =>
        Assert.Equal(P("code", Token("http://loinc.org", "1234-5")), Filter("Observation", "code=http://loinc.org|1234-5"));

    [Fact]
    public void Leading_bar_means_no_system() =>
        Assert.Equal(P("code", Token("", "1234-5")), Filter("Observation", "code=|1234-5"));

    [Fact]
    public void Trailing_bar_means_any_code_in_the_system() =>
        Assert.Equal(P("code", Token("http://loinc.org", null)), Filter("Observation", "code=http://loinc.org|"));

    [Fact]
    public void Comma_is_or_in_order() =>
        Assert.Equal(Or(P("code", Token(null, "a")), P("code", Token("s", "b"))), Filter("Observation", "code=a,s|b"));

    [Fact]
    public void Repetition_is_and() =>
        Assert.Equal(And(P("code", Token(null, "a")), P("status", Token(null, "final"))), Filter("Observation", "code=a&status=final"));

    [Fact]
    public void Boolean_parameter_is_a_token() =>
        Assert.Equal(P("active", Token(null, "true")), Filter("Patient", "active=true"));

    [Fact]
    public void Not_wraps_the_whole_or() =>
        Assert.Equal(new NotExpression(Or(P("status", Token(null, "final")), P("status", Token(null, "amended")))),
            Filter("Observation", "status:not=final,amended"));

    [Fact]
    public void Text_matches_display_and_is_not_split_at_bars() =>
        Assert.Equal(P("code", new TokenPredicate(null, "blood|pressure") { Match = TokenMatch.Text }), Filter("Observation", "code:text=blood|pressure"));

    [Fact]
    public void Of_type_takes_type_system_code_and_value() =>
        Assert.Equal(
            P("identifier", new TokenPredicate(null, "123") { Match = TokenMatch.OfType, TypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203", TypeCode = "MR" }),
            Filter("Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|123"));

    [Fact]
    public void Of_type_needs_three_parts() =>
        Assert.Contains("of-type", Error("Patient", "identifier:of-type=MR|123").Message);

    [Fact]
    public void Missing_true_and_false() =>
        Assert.Equal(And(new MissingExpression("code", Meridian.Fhir.Specification.SearchParamType.Token, true),
                         new MissingExpression("status", Meridian.Fhir.Specification.SearchParamType.Token, false)),
            Filter("Observation", "code:missing=true&status:missing=false"));

    [Fact]
    public void Missing_takes_only_true_or_false() =>
        Assert.Contains("true or false", Error("Observation", "code:missing=yes").Message);

    [Fact]
    public void Lone_bar_is_invalid() =>
        Assert.Equal(IssueType.Invalid, Error("Observation", "code=|").Code);

    [Fact]
    public void Too_many_bars_is_invalid() =>
        Assert.Contains("not a valid token", Error("Observation", "code=a|b|c").Message);

    [Theory]
    [InlineData("code:in=http://vs")]
    [InlineData("code:not-in=http://vs")]
    [InlineData("code:below=http://loinc.org|1")]
    [InlineData("code:above=http://loinc.org|1")]
    public void Terminology_modifiers_are_not_supported(string query) =>
        Assert.Equal(IssueType.NotSupported, Error("Observation", query).Code);

    [Theory]
    [InlineData("code:exact=a")]
    [InlineData("code:contains=a")]
    [InlineData("code:Patient=a")]
    [InlineData("code:identifier=a")]
    public void Modifiers_of_other_types_are_invalid(string query)
    {
        var error = Error("Observation", query);
        Assert.Equal(IssueType.Invalid, error.Code);
        Assert.Contains("not valid on token parameter 'code'", error.Message);
    }

    [Fact]
    public void Id_is_an_id_list() =>
        Assert.Equal(new IdExpression(["a", "b"]), Filter("Patient", "_id=a,b"));

    [Fact]
    public void Tag_security_are_tokens_and_profile_is_a_uri() =>
        Assert.Equal(And(
                P("_tag", Token("http://x", "t")),
                P("_security", Token(null, "R")),
                P("_profile", new UriPredicate("http://hl7.org/fhir/StructureDefinition/vitalsigns"))),
            Filter("Observation", "_tag=http://x|t&_security=R&_profile=http://hl7.org/fhir/StructureDefinition/vitalsigns"));

    [Fact]
    public void Empty_value_is_invalid() =>
        Assert.Contains("empty value", Error("Observation", "code=a,,b").Message);
}
