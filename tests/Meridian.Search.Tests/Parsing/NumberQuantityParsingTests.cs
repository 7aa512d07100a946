using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class NumberQuantityParsingTests
{
    private const string Ucum = "http://unitsofmeasure.org";

    [Fact]
    public void Number_carries_its_precision_range() =>
        Assert.Equal(new NumberPredicate(SearchPrefix.Eq, 100m, 99.5m, 100.5m), Predicate("RiskAssessment", "probability=100"));

    [Fact]
    public void Number_decimals_narrow_the_range() =>
        Assert.Equal(new NumberPredicate(SearchPrefix.Gt, 0.80m, 0.795m, 0.805m), Predicate("RiskAssessment", "probability=gt0.80"));

    [Fact]
    public void Number_exponent_form() =>
        Assert.Equal(new NumberPredicate(SearchPrefix.Le, 100m, 99.5m, 100.5m), Predicate("RiskAssessment", "probability=le1e2"));

    [Fact]
    public void Negative_number() =>
        Assert.Equal(new NumberPredicate(SearchPrefix.Eq, -1.5m, -1.55m, -1.45m), Predicate("RiskAssessment", "probability=-1.5"));

    [Theory]
    [InlineData("probability=abc")]
    [InlineData("probability=gt")]
    [InlineData("probability=1.2.3")]
    [InlineData("probability=xy5")]
    public void Bad_numbers_are_errors(string query) =>
        Assert.Equal(Meridian.Fhir.Outcomes.IssueType.Invalid, Error("RiskAssessment", query).Code);

    [Fact]
    public void Quantity_without_unit() =>
        Assert.Equal(new QuantityPredicate(SearchPrefix.Ap, 5.4m, 5.35m, 5.45m, null, null), Predicate("Observation", "value-quantity=ap5.4"));

    [Fact]
    public void Quantity_with_code_only_is_read_as_ucum_when_it_converts() =>
        // The store's shared factory (Predicates.Quantity) treats an absent system as UCUM.
        Assert.Equal(new QuantityPredicate(SearchPrefix.Eq, 5.4m, 5.35m, 5.45m, null, "mg")
        {
            CanonicalValue = 0.0054m,
            CanonicalLow = 0.00535m,
            CanonicalHigh = 0.00545m,
            CanonicalUnit = "g",
        }, Predicate("Observation", "value-quantity=5.4||mg"));

    [Fact]
    public void Quantity_with_a_non_ucum_code_only_stays_as_written() =>
        Assert.Equal(new QuantityPredicate(SearchPrefix.Eq, 5.4m, 5.35m, 5.45m, null, "tablets"), Predicate("Observation", "value-quantity=5.4||tablets"));

    [Fact]
    public void Parser_and_shared_factory_agree() =>
        Assert.Equal(Predicates.Quantity(SearchPrefix.Ge, 37.5m, Ucum, "Cel"), Predicate("Observation", $"value-quantity=ge37.5|{Ucum}|Cel"));

    [Fact]
    public void Ucum_quantity_gets_canonical_bounds() =>
        Assert.Equal(new QuantityPredicate(SearchPrefix.Lt, 5.4m, 5.35m, 5.45m, Ucum, "mg")
        {
            CanonicalValue = 0.0054m,
            CanonicalLow = 0.00535m,
            CanonicalHigh = 0.00545m,
            CanonicalUnit = "g",
        }, Predicate("Observation", $"value-quantity=lt5.4|{Ucum}|mg"));

    [Fact]
    public void Non_ucum_system_is_not_canonicalised() =>
        Assert.Equal(new QuantityPredicate(SearchPrefix.Eq, 5m, 4.5m, 5.5m, "http://snomed.info/sct", "258684004"),
            Predicate("Observation", "value-quantity=5|http://snomed.info/sct|258684004"));

    [Fact]
    public void Unknown_ucum_unit_stays_as_written() =>
        Assert.Equal(new QuantityPredicate(SearchPrefix.Eq, 5m, 4.5m, 5.5m, Ucum, "notaunit"),
            Predicate("Observation", $"value-quantity=5|{Ucum}|notaunit"));

    [Theory]
    [InlineData("value-quantity=5|mg")]
    [InlineData("value-quantity=5|a|b|c")]
    [InlineData("value-quantity=mg")]
    [InlineData("value-quantity=|x|mg")]
    public void Bad_quantities_are_errors(string query) =>
        Assert.True(Parse("Observation", query).HasErrors);

    [Fact]
    public void Quantity_takes_no_token_modifier() =>
        Assert.Contains("not valid on quantity parameter", Error("Observation", "value-quantity:not=5").Message);
}
