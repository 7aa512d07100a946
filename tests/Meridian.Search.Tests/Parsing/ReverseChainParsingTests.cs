using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class ReverseChainParsingTests
{
    [Fact]
    public void Has_with_a_token() =>
        Assert.Equal(new ReverseChainedExpression("Observation", "patient", P("code", Token(null, "1234-5"))),
            Filter("Patient", "_has:Observation:patient:code=1234-5"));

    [Fact]
    public void Has_with_modifier_and_or() =>
        Assert.Equal(new ReverseChainedExpression("Observation", "patient", Or(P("code", new TokenPredicate(null, "a") { Match = TokenMatch.Text }), P("code", new TokenPredicate(null, "b") { Match = TokenMatch.Text }))),
            Filter("Patient", "_has:Observation:patient:code:text=a,b"));

    [Fact]
    public void Nested_has() =>
        Assert.Equal(
            new ReverseChainedExpression("Observation", "patient",
                new ReverseChainedExpression("AuditEvent", "entity", P("agent", new ReferencePredicate(null, "MyUserId")))),
            Filter("Patient", "_has:Observation:patient:_has:AuditEvent:entity:agent=MyUserId"));

    [Fact]
    public void Has_ending_in_a_chain() =>
        Assert.Equal(
            new ReverseChainedExpression("Observation", "patient", new ChainedExpression("performer", "Practitioner", P("name", new StringPredicate("x")))),
            Filter("Patient", "_has:Observation:patient:performer:Practitioner.name=x"));

    [Fact]
    public void Has_in_a_system_search_checks_no_target() =>
        Assert.Equal(new ReverseChainedExpression("Observation", "subject", P("code", Token(null, "x"))),
            Filter(null, "_has:Observation:subject:code=x"));

    [Fact]
    public void Reference_that_cannot_point_here_is_an_error() =>
        Assert.Contains("Observation.encounter cannot refer to Patient", Error("Patient", "_has:Observation:encounter:code=x").Message);

    [Fact]
    public void Unknown_source_type() =>
        Assert.Contains("'Observaton' in", Error("Patient", "_has:Observaton:patient:code=x").Message);

    [Fact]
    public void Non_reference_link_parameter() =>
        Assert.Contains("'code' is not a reference search parameter of Observation", Error("Patient", "_has:Observation:code:status=x").Message);

    [Fact]
    public void Too_few_parts() =>
        Assert.Contains("expected _has:Type:reference:parameter", Error("Patient", "_has:Observation:patient=x").Message);

    [Fact]
    public void Errors_inside_has_are_reported() =>
        Assert.Equal(IssueType.NotFound, Error("Patient", "_has:Observation:patient:shoe=x").Code);
}
