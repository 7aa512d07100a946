using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Parsing;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class CompartmentParsingTests
{
    private static SearchParseResult Parse(string? type, string query, SearchCompartment compartment, SearchHandling handling = SearchHandling.Strict) =>
        SearchQueryParser.R4.Parse(type, Pairs(query), handling, compartment);

    [Fact]
    public void Observation_in_a_patient_compartment_is_an_or_of_its_compartment_parameters()
    {
        var result = Parse("Observation", "code=x", new SearchCompartment("Patient", "123"));
        Assert.Empty(result.Issues);
        // R4 CompartmentDefinition patient: Observation via subject or performer.
        Assert.Equal(
            And(Or(P("subject", new ReferencePredicate("Patient", "123")), P("performer", new ReferencePredicate("Patient", "123"))), P("code", Token(null, "x"))),
            result.Query.Filter);
    }

    [Fact]
    public void The_compartment_resource_itself_is_matched_by_id() =>
        Assert.Contains(new IdExpression(["123"]), ((OrExpression)Parse("Patient", "", new SearchCompartment("Patient", "123")).Query.Filter!).Operands);

    [Fact]
    public void Type_outside_the_compartment_is_an_error_even_when_lenient()
    {
        var result = Parse("Organization", "", new SearchCompartment("Patient", "123"), SearchHandling.Lenient);
        Assert.Equal(IssueType.NotFound, Assert.Single(result.Issues).Code);
        Assert.True(result.HasErrors);
    }

    [Fact]
    public void Unknown_compartment_is_an_error() =>
        Assert.Contains("'Planet' is not a compartment", Parse("Observation", "", new SearchCompartment("Planet", "1")).Issues[0].Message);

    [Fact]
    public void Compartment_needs_a_type() =>
        Assert.True(Parse(null, "", new SearchCompartment("Patient", "1")).HasErrors);
}
