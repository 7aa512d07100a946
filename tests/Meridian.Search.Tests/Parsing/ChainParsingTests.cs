using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class ChainParsingTests
{
    [Fact]
    public void Single_target_is_inferred() =>
        Assert.Equal(new ChainedExpression("organization", "Organization", P("name", new StringPredicate("Acme"))), Filter("Patient", "organization.name=Acme"));

    [Fact]
    public void Explicit_type_modifier() =>
        Assert.Equal(new ChainedExpression("subject", "Patient", P("name", new StringPredicate("peter"))), Filter("Observation", "subject:Patient.name=peter"));

    [Fact]
    public void Three_levels() =>
        Assert.Equal(
            new ChainedExpression("subject", "Patient",
                new ChainedExpression("organization", "Organization",
                    new ChainedExpression("partof", "Organization", P("name", new StringPredicate("Acme"))))),
            Filter("Observation", "subject:Patient.organization.partof.name=Acme"));

    [Fact]
    public void Target_is_inferred_from_the_one_type_defining_the_next_parameter() =>
        // subject may be a Group, Device, Patient or Location; only Patient has birthdate.
        Assert.Equal(new ChainedExpression("subject", "Patient", P("birthdate", new DatePredicate(SearchPrefix.Eq, Utc(2000), Before(Utc(2001))))),
            Filter("Observation", "subject.birthdate=2000"));

    [Fact]
    public void Ambiguous_chain_is_an_error_naming_the_candidates()
    {
        var error = Error("Observation", "subject.name=peter");
        Assert.Equal(IssueType.Invalid, error.Code);
        Assert.Contains("ambiguous", error.Message);
        Assert.Contains("Patient", error.Message);
        Assert.Contains("Location", error.Message);
    }

    [Fact]
    public void Chain_ends_with_modifier_and_or() =>
        Assert.Equal(new ChainedExpression("patient", "Patient", Or(P("name", new StringPredicate("a", StringMatch.Exact)), P("name", new StringPredicate("b", StringMatch.Exact)))),
            Filter("Observation", "patient:Patient.name:exact=a,b"));

    [Fact]
    public void Chain_to_a_token_and_a_reference() =>
        Assert.Equal(And(
                new ChainedExpression("patient", "Patient", P("identifier", Token("http://mrn", "1"))),
                new ChainedExpression("patient", "Patient", P("general-practitioner", new ReferencePredicate("Practitioner", "9")))),
            Filter("Observation", "patient:Patient.identifier=http://mrn|1&patient:Patient.general-practitioner=Practitioner/9"));

    [Fact]
    public void Chain_to_resource_level_parameters_needs_no_type_and_missing_works() =>
        Assert.Equal(And(
                new ChainedExpression("subject", null, new IdExpression(["1"])),
                new ChainedExpression("subject", null, P("_tag", Token(null, "x"))),
                new ChainedExpression("patient", "Patient", new MissingExpression("birthdate", Meridian.Fhir.Specification.SearchParamType.Date, true))),
            Filter("Observation", "subject._id=1&subject._tag=x&patient.birthdate:missing=true"));

    [Fact]
    public void Chain_ending_in_has() =>
        Assert.Equal(And(
                new ChainedExpression("encounter", null, new ReverseChainedExpression("Condition", "encounter", P("code", Token(null, "x")))),
                new ChainedExpression("encounter", "Encounter", new ReverseChainedExpression("Condition", "encounter", P("code", Token(null, "y"))))),
            Filter("Observation", "encounter._has:Condition:encounter:code=x&encounter:Encounter._has:Condition:encounter:code=y"));

    [Fact]
    public void Chaining_a_non_reference_is_an_error() =>
        Assert.Contains("only reference parameters can be chained", Error("Observation", "code.name=x").Message);

    [Fact]
    public void Chain_type_outside_the_targets_is_an_error() =>
        Assert.Contains("'Medication' is not a resource type that 'subject' can refer to", Error("Observation", "subject:Medication.code=x").Message);

    [Fact]
    public void Unknown_parameter_at_the_end_of_a_chain() =>
        Assert.Equal((IssueType.NotFound, "unknown search parameter 'shoe' for Organization"), (Error("Patient", "organization.shoe=1").Code, Error("Patient", "organization.shoe=1").Message));

    [Fact]
    public void Unknown_parameter_after_a_multi_target_reference() =>
        Assert.Equal(IssueType.NotFound, Error("Observation", "subject.shoe=1").Code);

    [Fact]
    public void Bad_value_at_the_end_of_a_chain() =>
        Assert.Contains("not a valid date", Error("Observation", "patient:Patient.birthdate=2020-13").Message);

    [Fact]
    public void Empty_chain_segment_is_an_error() =>
        Assert.True(Parse("Observation", "patient.=x").HasErrors);
}
