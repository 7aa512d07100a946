using Meridian.Fhir.Model;
using Meridian.Fhir.Serialization;

namespace Meridian.Fhir.Tests.Serialization;

public class ModelTests
{
    [Fact]
    public void Output_follows_the_spec_order_whatever_the_input_order()
    {
        var r = FhirJsonParser.R4.Parse("{\"gender\":\"male\",\"name\":[{\"given\":[\"A\"],\"family\":\"B\"}],\"id\":\"x\",\"resourceType\":\"Patient\"}");
        Assert.Equal("{\"resourceType\":\"Patient\",\"id\":\"x\",\"name\":[{\"family\":\"B\",\"given\":[\"A\"]}],\"gender\":\"male\"}",
            FhirJsonWriter.ToJson(r.Resource!));
    }

    [Fact]
    public void Decimals_keep_their_precision()
    {
        var json = "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"},\"valueQuantity\":{\"value\":1.50,\"unit\":\"mg\"}}";
        var r = FhirJsonParser.R4.Parse(json);
        var value = r.Resource!.Child("value")!;
        Assert.Equal("Quantity", value.TypeName);
        Assert.Equal("1.50", value.Child("value")!.Text);
        Assert.Equal(ValueKind.Number, value.Child("value")!.Kind);
        Assert.Contains("\"value\":1.50", FhirJsonWriter.ToJson(r.Resource!), StringComparison.Ordinal);
    }

    [Fact]
    public void Primitive_extensions_merge_with_their_values_and_stay_aligned()
    {
        var json = "{\"resourceType\":\"Patient\",\"name\":[{\"given\":[\"A\",null,\"C\"],\"_given\":[null,{\"extension\":[{\"url\":\"http://x\",\"valueString\":\"B\"}]},{\"id\":\"c\"}]}],\"_birthDate\":{\"extension\":[{\"url\":\"http://y\",\"valueBoolean\":true}]}}";
        var r = FhirJsonParser.R4.Parse(json);
        Assert.Empty(r.Issues);
        var given = r.Resource!.Child("name")!.ChildrenNamed("given").ToList();
        Assert.Equal(3, given.Count);
        Assert.False(given[1].HasValue);
        Assert.Equal("B", given[1].Child("extension")!.Child("value")!.Text);
        Assert.Equal("c", given[2].Child("id")!.Text);
        Assert.Equal("Patient.name[0].given[2]", given[2].Location);
        var birth = r.Resource.Child("birthDate")!;
        Assert.False(birth.HasValue);
        Assert.Equal(json.Length, FhirJsonWriter.ToJson(r.Resource).Length);
    }

    [Fact]
    public void Contained_and_bundled_resources_are_typed_resource_nodes()
    {
        var json = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\",\"contained\":[{\"resourceType\":\"Organization\",\"id\":\"o\"}]}}]}";
        var bundle = FhirJsonParser.R4.Parse(json).Resource!;
        var patient = bundle.Child("entry")!.Child("resource")!;
        Assert.True(patient.IsResource);
        Assert.Equal("Patient", patient.TypeName);
        Assert.Equal("resource", patient.Name);
        Assert.Equal("p", patient.ResourceId);
        var org = patient.Child("contained")!;
        Assert.Equal("Organization", org.TypeName);
        Assert.Same(org, org.Child("id")!.Resource);
        Assert.Equal("Bundle.entry[0].resource.contained[0].id", org.Child("id")!.Location);
    }

    [Fact]
    public void Narrative_markup_and_non_ascii_text_are_written_as_themselves()
    {
        var json = "{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">B\u00e9n\u00e9dicte &amp; \u00fc</div>\"}}";
        var written = FhirJsonWriter.ToJson(FhirJsonParser.R4.Parse(json).Resource!);
        Assert.Contains("<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">Bénédicte &amp; ü</div>", written, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u003C", written, StringComparison.Ordinal);
    }
}
