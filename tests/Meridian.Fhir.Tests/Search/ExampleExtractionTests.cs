using Meridian.Fhir.Search;
using static Meridian.Fhir.Tests.Search.SearchTestSupport;

namespace Meridian.Fhir.Tests.Search;

public class ExampleExtractionTests
{
    private static DateTimeOffset Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) => new(y, mo, d, h, mi, s, TimeSpan.Zero);

    [Fact]
    public void Patient_example_names_birthdate_gender_identifier()
    {
        var e = Extract("Patient-example.json");

        var family = e.Values<StringValue>("family");
        Assert.Contains(family, v => v.Value == "Chalmers" && v.Normalized == "chalmers");
        Assert.Contains(family, v => v.Value == "Windsor");
        Assert.Contains(e.Values<StringValue>("given"), v => v.Value == "Jim" && v.Normalized == "jim");
        Assert.Contains(e.Values<StringValue>("name"), v => v.Value == "Peter");

        var birth = Assert.Single(e.Values<DateRangeValue>("birthdate"));
        Assert.Equal(Utc(1974, 12, 25), birth.Low);
        Assert.Equal(Utc(1974, 12, 26).AddTicks(-1), birth.High);

        var gender = Assert.Single(e.Values<TokenValue>("gender"));
        Assert.Equal("male", gender.Code);
        Assert.Equal("http://hl7.org/fhir/administrative-gender", gender.System);

        var id = Assert.Single(e.Values<TokenValue>("identifier"));
        Assert.Equal("urn:oid:1.2.36.146.595.217.0.1", id.System);
        Assert.Equal("12345", id.Code);
        Assert.Equal("http://terminology.hl7.org/CodeSystem/v2-0203", id.TypeSystem);
        Assert.Equal("MR", id.TypeCode);

        Assert.Contains(e.Values<TokenValue>("_id"), v => v.Code == "example");
        Assert.Contains(e.Values<TokenValue>("active"), v => v.Code == "true");
        Assert.Contains(e.Values<ReferenceValue>("organization"), v => v is { Kind: ReferenceKind.Local, ResourceType: "Organization", Id: "1" });
    }

    [Fact]
    public void Multi_base_expressions_only_yield_values_of_the_indexed_type()
    {
        var e = Extract("Patient-example.json");
        Assert.All(e, entry => Assert.True(entry.Parameter.Base.Contains("Patient") || entry.Parameter.Base.Contains("Resource")
            || entry.Parameter.Base.Contains("DomainResource"), entry.Parameter.Url));
        // Patient-phone spans Patient|Person|Practitioner|...: one value per Patient phone only.
        var phones = e.Values<TokenValue>("phone");
        Assert.NotEmpty(phones);
        Assert.All(phones, p => Assert.Equal("phone", p.System));
    }

    [Fact]
    public void Observation_example_code_quantity_date_subject()
    {
        var e = Extract("Observation-example.json");

        Assert.Contains(e.Values<TokenValue>("code"), v => v is { System: "http://loinc.org", Code: "29463-7", Text: "Body Weight" });
        var q = Assert.Single(e.Values<QuantityValue>("value-quantity"));
        Assert.Equal(185m, q.Value);
        Assert.Equal("[lb_av]", q.Code);
        Assert.Equal("http://unitsofmeasure.org", q.System);
        Assert.Equal("lbs", q.Unit);
        // 185 [lb_av] = 185 x 453.59237 g
        Assert.Equal("g", q.CanonicalUnit);
        Assert.Equal(83914.58845m, q.CanonicalValue);
        Assert.Equal(q.CanonicalValue, q.CanonicalLow);

        var date = Assert.Single(e.Values<DateRangeValue>("date"));
        Assert.Equal(Utc(2016, 3, 28), date.Low);
        Assert.Equal(Utc(2016, 3, 29).AddTicks(-1), date.High);

        var subject = Assert.Single(e.Values<ReferenceValue>("subject"));
        Assert.Equal(("Patient", "example"), (subject.ResourceType, subject.Id));
        Assert.Single(e.Values<ReferenceValue>("patient"));
    }

    [Fact]
    public void Observation_example_composite_pairs_code_with_quantity()
    {
        var e = Extract("Observation-example.json");
        var composites = e.Values<CompositeValue>("code-value-quantity");
        // 4 codings x 1 quantity
        Assert.Equal(4, composites.Count);
        Assert.All(composites, c => Assert.IsType<QuantityValue>(c.Components[1]));
        Assert.Contains(composites, c => c.Components[0] is TokenValue { Code: "29463-7" });
    }
}
