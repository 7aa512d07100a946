using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class UriCompositeNearParsingTests
{
    [Fact]
    public void Uri_exact_below_above() =>
        Assert.Equal(And(
                P("url", new UriPredicate("http://acme.org/fhir/ValueSet/123")),
                P("url", new UriPredicate("http://acme.org/fhir/", UriMatch.Below)),
                P("url", new UriPredicate("http://acme.org/fhir/ValueSet/123/_history/5", UriMatch.Above))),
            Filter("ValueSet", "url=http://acme.org/fhir/ValueSet/123&url:below=http://acme.org/fhir/&url:above=http://acme.org/fhir/ValueSet/123/_history/5"));

    [Fact]
    public void Uri_contains_is_not_supported() =>
        Assert.Equal(IssueType.NotSupported, Error("ValueSet", "url:contains=acme").Code);

    [Fact]
    public void Composite_pairs_component_values_by_their_types() =>
        Assert.Equal(
            new CompositePredicate([Token("http://loinc.org", "8480-6"), new QuantityPredicate(SearchPrefix.Gt, 100m, 99.5m, 100.5m, null, null)]),
            Predicate("Observation", "code-value-quantity=http://loinc.org|8480-6$gt100"));

    [Fact]
    public void Composite_token_token() =>
        Assert.Equal(
            new CompositePredicate([Token("http://loinc.org", "x"), Token(null, "positive")]),
            Predicate("Observation", "code-value-concept=http://loinc.org|x$positive"));

    [Fact]
    public void Composite_with_date_component() =>
        Assert.Equal(
            new CompositePredicate([Token(null, "8480-6"), new DatePredicate(SearchPrefix.Ge, Utc(2020), Before(Utc(2021)))]),
            Predicate("Observation", "code-value-date=8480-6$ge2020"));

    [Fact]
    public void Composite_or() =>
        Assert.Equal(Or(
                P("code-value-concept", new CompositePredicate([Token(null, "a"), Token(null, "b")])),
                P("code-value-concept", new CompositePredicate([Token(null, "c"), Token(null, "d")]))),
            Filter("Observation", "code-value-concept=a$b,c$d"));

    [Fact]
    public void Composite_with_wrong_component_count_is_invalid() =>
        Assert.Contains("needs 2 joined by $", Error("Observation", "code-value-quantity=8480-6").Message);

    [Fact]
    public void Composite_component_errors_are_reported() =>
        Assert.Equal("parameter 'code-value-quantity': 'x1' is not a valid number", Error("Observation", "code-value-quantity=8480-6$gtx1").Message);

    [Fact]
    public void Near_in_kilometres() =>
        Assert.Equal(new NearPredicate(42.256m, -83.694m, 11.2m), Predicate("Location", "near=42.256|-83.694|11.2|km"));

    [Fact]
    public void Near_converts_ucum_units() =>
        Assert.Equal(new NearPredicate(42.256m, -83.694m, 1.5m), Predicate("Location", "near=42.256|-83.694|1500|m"));

    [Fact]
    public void Near_defaults_to_the_configured_distance() =>
        Assert.Equal(new NearPredicate(1m, 2m, 50m), Predicate("Location", "near=1|2"));

    [Theory]
    [InlineData("near=91|0")]
    [InlineData("near=1")]
    [InlineData("near=1|2|3|s")]
    [InlineData("near=1|2|-3")]
    public void Bad_near_values_are_errors(string query) =>
        Assert.True(Parse("Location", query).HasErrors);
}
