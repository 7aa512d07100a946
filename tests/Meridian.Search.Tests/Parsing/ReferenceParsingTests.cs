using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search.Expressions;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Parsing;

public class ReferenceParsingTests
{
    [Fact]
    public void Bare_id_has_no_type() =>
        Assert.Equal(P("subject", new ReferencePredicate(null, "123")), Filter("Observation", "subject=123"));

    [Fact]
    public void Type_and_id() =>
        Assert.Equal(P("subject", new ReferencePredicate("Patient", "123")), Filter("Observation", "subject=Patient/123"));

    [Fact]
    public void Versioned_reference() =>
        Assert.Equal(P("subject", new ReferencePredicate("Patient", "123") { Version = "2" }), Filter("Observation", "subject=Patient/123/_history/2"));

    [Fact]
    public void Type_modifier_types_a_bare_id() =>
        Assert.Equal(P("subject", new ReferencePredicate("Patient", "123")), Filter("Observation", "subject:Patient=123"));

    [Fact]
    public void Type_modifier_accepts_the_same_type_in_the_value() =>
        Assert.Equal(P("subject", new ReferencePredicate("Patient", "123")), Filter("Observation", "subject:Patient=Patient/123"));

    [Fact]
    public void Type_modifier_conflicting_with_the_value_is_invalid() =>
        Assert.Contains("does not match the :Patient modifier", Error("Observation", "subject:Patient=Group/1").Message);

    [Fact]
    public void Type_modifier_outside_the_targets_is_invalid() =>
        Assert.Contains("cannot refer to Medication", Error("Observation", "subject:Medication=1").Message);

    [Fact]
    public void Type_in_the_value_outside_the_targets_is_invalid() =>
        Assert.Contains("cannot refer to Medication", Error("Observation", "subject=Medication/1").Message);

    [Fact]
    public void Unknown_type_in_the_value_is_invalid() =>
        Assert.Contains("'Foo' in 'Foo/1' is not a resource type", Error("Observation", "subject=Foo/1").Message);

    [Fact]
    public void Absolute_url() =>
        Assert.Equal(P("subject", new ReferencePredicate(null, null) { Url = "http://other.org/fhir/Patient/1" }),
            Filter("Observation", "subject=http://other.org/fhir/Patient/1"));

    [Fact]
    public void Canonical_with_version() =>
        Assert.Equal(P("questionnaire", new ReferencePredicate(null, null) { Url = "http://example.org/Questionnaire/q", Version = "1.0" }),
            Filter("QuestionnaireResponse", "questionnaire=http://example.org/Questionnaire/q|1.0"));

    [Fact]
    public void Urn() =>
        Assert.Equal(P("subject", new ReferencePredicate(null, null) { Url = "urn:uuid:9d0b5a8e-2f1e-4a8e-9a3b-1f2e3d4c5b6a" }),
            Filter("Observation", "subject=urn:uuid:9d0b5a8e-2f1e-4a8e-9a3b-1f2e3d4c5b6a"));

    [Fact]
    public void Version_bar_on_a_local_reference_is_invalid() =>
        Assert.Contains("only canonical URLs", Error("Observation", "subject=Patient/1|2").Message);

    [Fact]
    public void Identifier_modifier_is_a_token_on_the_reference_parameter() =>
        Assert.Equal(P("subject", Token("http://hospital/mrn", "12345")), Filter("Observation", "subject:identifier=http://hospital/mrn|12345"));

    [Fact]
    public void Missing_on_a_reference() =>
        Assert.Equal(new MissingExpression("subject", Meridian.Fhir.Specification.SearchParamType.Reference, false), Filter("Observation", "subject:missing=false"));

    [Theory]
    [InlineData("subject:above=Patient/1")]
    [InlineData("subject:below=Patient/1")]
    public void Hierarchy_modifiers_are_not_supported(string query) =>
        Assert.Equal(IssueType.NotSupported, Error("Observation", query).Code);

    [Fact]
    public void Text_modifier_is_invalid_on_a_reference() =>
        Assert.Contains("not valid on reference parameter 'subject'", Error("Observation", "subject:text=x").Message);

    [Fact]
    public void Malformed_paths_are_invalid()
    {
        Assert.Contains("not a valid reference", Error("Observation", "subject=Patient/1/2").Message);
        Assert.Contains("not a valid reference", Error("Observation", "subject=Patient/").Message);
    }

    [Fact]
    public void Absolute_url_under_a_local_base_is_a_local_reference()
    {
        var parser = new Meridian.Storage.Search.Parsing.SearchQueryParser(Meridian.Storage.Search.Parsing.SearchParserOptions.Default with { LocalBaseUrls = ["https://fhir.example.org/fhir/"] });
        Assert.Equal(P("subject", new ReferencePredicate("Patient", "1")), Filter("Observation", "subject=https://fhir.example.org/fhir/Patient/1", parser));
        Assert.Equal(P("subject", new ReferencePredicate(null, null) { Url = "https://fhir.example.org/fhirx/Patient/1" }), Filter("Observation", "subject=https://fhir.example.org/fhirx/Patient/1", parser));
    }
}
