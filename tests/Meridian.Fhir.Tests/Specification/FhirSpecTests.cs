using System.Diagnostics;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Tests.Specification;

public class FhirSpecTests
{
    private static FhirSpec Spec => FhirSpec.R4;

    [Fact]
    public void Pack_holds_every_R4_resource_type_and_search_parameter()
    {
        Assert.Equal("4.0.1", Spec.FhirVersion);
        Assert.Equal(146, Spec.ResourceTypes.Length);
        // The package's 1,400 SearchParameters less its three examples (ids example*), which
        // duplicate real codes (_id, Condition subject).
        Assert.Equal(1397, Spec.SearchParameters.Length);
        Assert.Null(Spec.FindSearchParameterByUrl("http://hl7.org/fhir/SearchParameter/example"));
        Assert.Single(Spec.SearchParametersFor("Condition"), p => p.Code == "subject");
        Assert.Contains("Patient", Spec.ResourceTypes);
        Assert.DoesNotContain("DomainResource", Spec.ResourceTypes);
    }

    [Fact]
    public void Choice_elements_map_json_names_to_types()
    {
        var obs = Spec.FindType("Observation")!;
        var slot = obs.FindByJsonName("valueQuantity");
        Assert.NotNull(slot);
        Assert.Equal("Quantity", slot!.TypeCode);
        Assert.True(slot.Element.IsChoice);
        Assert.Equal("value", slot.Element.Name);
        Assert.Equal("dateTime", obs.FindByJsonName("effectiveDateTime")!.TypeCode);
        Assert.Null(obs.FindByJsonName("valueFoo"));
    }

    [Fact]
    public void Backbone_elements_and_content_references_have_structures()
    {
        var patient = Spec.FindType("Patient")!;
        var contact = patient.FindByName("contact")!;
        Assert.NotNull(contact.Backbone);
        Assert.Equal("BackboneElement", contact.Backbone!.FhirPathTypeName);
        Assert.NotNull(contact.Backbone.FindByName("relationship"));
        var item = Spec.FindType("Questionnaire")!.FindByName("item")!;
        var nested = item.Backbone!.FindByName("item")!;
        Assert.Same(item.Backbone, nested.Backbone);
    }

    [Fact]
    public void Resources_inherit_base_elements_and_constraints()
    {
        var patient = Spec.FindType("Patient")!;
        Assert.NotNull(patient.FindByName("id"));
        Assert.NotNull(patient.FindByName("meta"));
        Assert.NotNull(patient.FindByName("contained"));
        Assert.True(patient.IsA("DomainResource"));
        Assert.Contains(patient.Root!.Constraints, c => c.Key == "dom-2");
    }

    [Fact]
    public void Required_bindings_are_expanded()
    {
        var gender = Spec.FindType("Patient")!.FindByName("gender")!;
        Assert.Equal(BindingStrength.Required, gender.Binding);
        var vs = Spec.FindValueSet(gender.BindingValueSet!)!;
        Assert.True(vs.IsEnumerable);
        Assert.True(vs.Contains("http://hl7.org/fhir/administrative-gender", "female"));
        Assert.False(vs.Contains(null, "woman"));
        // Mime types (BCP 13) cannot be enumerated from the spec.
        var contentType = Spec.FindType("Attachment")!.FindByName("contentType")!;
        Assert.False(Spec.FindValueSet(contentType.BindingValueSet!)!.IsEnumerable);
    }

    [Fact]
    public void Search_parameters_on_Resource_apply_to_every_type()
    {
        Assert.NotNull(Spec.FindSearchParameter("Observation", "_id"));
        Assert.NotNull(Spec.FindSearchParameter("Observation", "_lastUpdated"));
        var family = Spec.FindSearchParameter("Patient", "family")!;
        Assert.Equal(SearchParamType.String, family.Type);
        var composite = Spec.FindSearchParameter("Observation", "code-value-quantity")!;
        Assert.Equal(2, composite.Components.Length);
        // Derived from the xpath where the package leaves base and expression out.
        var author = Spec.FindSearchParameter("ValueSet", "author")!;
        Assert.StartsWith("ValueSet.extension(", author.Expression, StringComparison.Ordinal);
    }

    [Fact]
    public void Patient_compartment_lists_observation_subject()
    {
        var patient = Spec.FindCompartment("Patient")!;
        Assert.Contains("subject", patient.ParamsFor("Observation"));
    }

    [Fact]
    public void Primitive_types_carry_their_regex()
    {
        var date = Spec.FindType("date")!;
        Assert.Matches(date.ValueRegex!, "2024-02-29");
        Assert.DoesNotMatch(date.ValueRegex!, "2024-2-29");
    }

    [Fact]
    public void Pack_loads_from_a_stream_again()
    {
        using var s = typeof(FhirSpec).Assembly.GetManifestResourceStream("r4-core.pack.json.br")!;
        var sw = Stopwatch.StartNew();
        var spec = FhirSpec.Load(s);
        sw.Stop();
        Assert.Equal(Spec.ResourceTypes.Length, spec.ResourceTypes.Length);
    }
}
