using Meridian.Fhir.Search;
using Meridian.Fhir.Serialization;
using static Meridian.Fhir.Tests.Search.SearchTestSupport;

namespace Meridian.Fhir.Tests.Search;

/// <summary>One test per value type or source data type, on official examples where one exists
/// and on small inline resources where the examples lack the shape (Timing events, versioned canonicals).</summary>
public class ValueTypeExampleTests
{
    private static DateTimeOffset Utc(int y, int mo, int d) => new(y, mo, d, 0, 0, 0, TimeSpan.Zero);

    private static System.Collections.Immutable.ImmutableArray<SearchIndexEntry> ExtractJson(string json) =>
        SearchIndexer.R4.Extract(FhirJsonParser.R4.Parse(json).Resource!);

    [Fact]
    public void Period_gives_start_of_start_to_end_of_end()
    {
        var patient = ExtractJson("""{"resourceType":"Encounter","id":"x","status":"finished","class":{"code":"AMB"},"period":{"start":"2015-01-16","end":"2015-01-20T10:00:00+02:00"}}""");
        var date = Assert.Single(patient.Values<DateRangeValue>("date"));
        Assert.Equal(Utc(2015, 1, 16), date.Low);
        Assert.Equal(new DateTimeOffset(2015, 1, 20, 8, 0, 0, TimeSpan.Zero).AddSeconds(1).AddTicks(-1), date.High);
        var open = ExtractJson("""{"resourceType":"Encounter","id":"x","status":"finished","class":{"code":"AMB"},"period":{"start":"2015"}}""");
        Assert.Equal(DateTimeOffset.MaxValue, Assert.Single(open.Values<DateRangeValue>("date")).High);
    }

    [Fact]
    public void Timing_gives_each_event_and_the_repeat_bounds()
    {
        var e = ExtractJson("""
            {"resourceType":"CarePlan","id":"t","status":"active","intent":"plan","subject":{"reference":"Patient/p"},
             "activity":[{"detail":{"status":"scheduled","scheduledTiming":{
                "event":["2020-03-01T10:00:00Z","2020-03-02"],
                "repeat":{"boundsPeriod":{"start":"2020-03-01","end":"2020-03-31"}}}}}]}
            """);
        var dates = e.Values<DateRangeValue>("activity-date");
        Assert.Equal(3, dates.Count);
        Assert.Contains(dates, d => d.Low == new DateTimeOffset(2020, 3, 1, 10, 0, 0, TimeSpan.Zero) && d.High == d.Low.AddSeconds(1).AddTicks(-1));
        Assert.Contains(dates, d => d.Low == Utc(2020, 3, 2) && d.High == Utc(2020, 3, 3).AddTicks(-1));
        Assert.Contains(dates, d => d.Low == Utc(2020, 3, 1) && d.High == Utc(2020, 4, 1).AddTicks(-1));
    }

    [Fact]
    public void Contained_reference_resolves_to_the_contained_type()
    {
        var e = Extract("CarePlan-example.json");
        var condition = Assert.Single(e.Values<ReferenceValue>("condition"));
        Assert.Equal(ReferenceKind.Contained, condition.Kind);
        Assert.Equal(("Condition", "p1"), (condition.ResourceType, condition.Id));

        var citalopram = Extract("ActivityDefinition-citalopramPrescription.json");
        var composedOf = Assert.Single(citalopram.Values<ReferenceValue>("composed-of"));
        Assert.Equal(("Medication", ReferenceKind.Contained), (composedOf.ResourceType, composedOf.Kind));
    }

    [Fact]
    public void Canonical_reference_keeps_url_and_version()
    {
        var e = ExtractJson("""
            {"resourceType":"PlanDefinition","id":"c","status":"draft",
             "library":["http://example.org/fhir/Library/zika|1.2.0","Library/local"]}
            """);
        var refs = e.Values<ReferenceValue>("depends-on");
        Assert.Contains(refs, r => r is { Kind: ReferenceKind.Canonical, Url: "http://example.org/fhir/Library/zika", Version: "1.2.0", ResourceType: "Library", Id: "zika" });
        Assert.Contains(refs, r => r is { Kind: ReferenceKind.Canonical, Url: "Library/local", Version: null });
    }

    [Fact]
    public void Reference_forms_local_absolute_versioned_and_identifier()
    {
        var e = ExtractJson("""
            {"resourceType":"Observation","id":"o","status":"final","code":{"text":"x"},
             "subject":{"reference":"http://other.org/fhir/Patient/42/_history/3","identifier":{"system":"urn:sys","value":"mrn-1"}},
             "performer":[{"reference":"Practitioner/7/_history/2"},{"reference":"urn:uuid:9d7f0e6c-1b8a-4b7a-8c3b-3d2f4a5b6c7d"}]}
            """);
        var subject = Assert.Single(e.Values<ReferenceValue>("subject"));
        Assert.Equal(ReferenceKind.Absolute, subject.Kind);
        Assert.Equal(("Patient", "42", "3", "http://other.org/fhir"), (subject.ResourceType, subject.Id, subject.Version, subject.BaseUrl));
        Assert.Contains(e.Values<TokenValue>("subject"), t => t is { System: "urn:sys", Code: "mrn-1" });
        // subject.where(resolve() is Patient) follows the absolute URL's type
        Assert.Single(e.Values<ReferenceValue>("patient"));
        var performers = e.Values<ReferenceValue>("performer");
        Assert.Contains(performers, r => r is { Kind: ReferenceKind.Local, ResourceType: "Practitioner", Id: "7", Version: "2" });
        Assert.Contains(performers, r => r is { Kind: ReferenceKind.Uri, Url: "urn:uuid:9d7f0e6c-1b8a-4b7a-8c3b-3d2f4a5b6c7d" });
    }

    [Fact]
    public void Number_has_precision_implied_range()
    {
        var risk = Assert.Single(Extract("RiskAssessment-cardiac.json").Values<NumberValue>("probability"));
        Assert.Equal((0.02m, 0.015m, 0.025m), (risk.Value, risk.Low, risk.High));
        var factor = Assert.Single(Extract("ChargeItem-example.json").Values<NumberValue>("factor-override"));
        Assert.Equal((0.8m, 0.75m, 0.85m), (factor.Value, factor.Low, factor.High));
        // R4 has no ImmunizationRecommendation dose-number parameter; MolecularSequence has integer ones.
        var sequence = Extract("MolecularSequence-coord-1-base.json");
        var start = Assert.Single(sequence.Values<NumberValue>("window-start"));
        Assert.Equal((1m, 0.5m, 1.5m), (start.Value, start.Low, start.High));
        Assert.Equal(3, sequence.Values<NumberValue>("variant-start").Count);
    }

    [Fact]
    public void Money_is_a_quantity_in_ISO_4217()
    {
        var price = Assert.Single(Extract("ChargeItem-example.json").Values<QuantityValue>("price-override"));
        Assert.Equal((40m, "urn:iso:std:iso:4217", "EUR"), (price.Value, price.System, price.Code));
        Assert.Null(price.CanonicalUnit);
    }

    [Fact]
    public void Range_gives_open_bounds()
    {
        var e = Extract("ActivityDefinition-administer-zika-virus-exposure-assessment.json");
        var range = Assert.Single(e.Values<QuantityValue>("context-quantity"));
        Assert.Equal((null, 12m, null, "a"), (range.Value, range.Low, range.High, range.Unit));
        // context-type-quantity pairs the usage context's code with its range
        var composite = Assert.Single(e.Values<CompositeValue>("context-type-quantity"));
        Assert.Equal("age", Assert.IsType<TokenValue>(composite.Components[0]).Code);
        Assert.Same(range.GetType(), composite.Components[1].GetType());
    }

    [Fact]
    public void Uri_keeps_the_url_and_splits_canonical_versions()
    {
        var url = Assert.Single(Extract("ActivityDefinition-citalopramPrescription.json").Values<UriValue>("url"));
        Assert.Equal("http://motivemi.com/artifacts/ActivityDefinition/citalopramPrescription", url.Uri);
        var profile = ExtractJson("""{"resourceType":"Basic","id":"b","meta":{"profile":["http://example.org/StructureDefinition/p|2.0"]},"code":{"text":"x"}}""");
        Assert.Contains(profile.Values<UriValue>("_profile"), u => u is { Uri: "http://example.org/StructureDefinition/p", Version: "2.0" });
    }

    [Fact]
    public void Deceased_runs_on_the_FHIRPath_engine()
    {
        Assert.Equal("false", Assert.Single(Extract("Patient-example.json").Values<TokenValue>("deceased")).Code);
        var dead = ExtractJson("""{"resourceType":"Patient","id":"d","deceasedDateTime":"2015-02-14T13:42:00+10:00"}""");
        Assert.Equal("true", Assert.Single(dead.Values<TokenValue>("deceased")).Code);
        Assert.Single(dead.Values<DateRangeValue>("death-date"));
    }

    [Fact]
    public void Near_indexes_the_position()
    {
        var position = Assert.Single(Extract("Location-hl7.json").Values<PositionValue>("near"));
        Assert.Equal((-83.69471m, 42.2565m), (position.Latitude, position.Longitude));
    }

    [Fact]
    public void CodeableConcept_text_and_identifier_type_text_are_text_tokens()
    {
        var e = ExtractJson("""
            {"resourceType":"Observation","id":"o","status":"final",
             "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}],"text":"Heart  Rate"},
             "identifier":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"FILL"},{"system":"urn:t","code":"X"}],"text":"Filler"},"system":"urn:s","value":"v1"}]}
            """);
        var code = e.Values<TokenValue>("code");
        Assert.Equal(2, code.Count);
        Assert.Contains(code, t => t is { System: null, Code: null, Text: "Heart  Rate", TextNormalized: "heart rate" });
        // one row per identifier type coding, for :of-type
        var ids = e.Values<TokenValue>("identifier");
        Assert.Equal(2, ids.Count);
        Assert.All(ids, t => Assert.Equal(("urn:s", "v1", "Filler"), (t.System, t.Code, t.Text)));
        Assert.Equal(["FILL", "X"], ids.Select(t => t.TypeCode).Order(StringComparer.Ordinal));
        Assert.Contains(e.Values<TokenValue>("status"), t => t is { Code: "final", System: "http://hl7.org/fhir/observation-status" });
    }

    [Fact]
    public void Bundle_composition_refers_to_the_first_entry_by_its_fullUrl()
    {
        var e = Extract("Bundle-father.json");
        var composition = Assert.Single(e.Values<ReferenceValue>("composition"));
        Assert.Equal(ReferenceKind.Absolute, composition.Kind);
        Assert.Equal(("Composition", "180f219f-97a8-486d-99d9-ed631fe4fc57", "http://fhir.healthintersections.com.au/open"),
            (composition.ResourceType, composition.Id, composition.BaseUrl));
        Assert.Contains(e.Values<TokenValue>("type"), t => t.Code == "document");
    }

    [Fact]
    public void Age_is_a_quantity_with_UCUM_canonical_and_SampledData_indexes_its_origin()
    {
        var e = ExtractJson("""
            {"resourceType":"Condition","id":"c","subject":{"reference":"Patient/p"},
             "onsetAge":{"value":74,"unit":"yr","system":"http://unitsofmeasure.org","code":"a"}}
            """);
        var age = Assert.Single(e.Values<QuantityValue>("onset-age"));
        Assert.Equal((74m, "a", "s"), (age.Value, age.Code, age.CanonicalUnit));
        Assert.Equal(74m * 365.25m * 86400m, age.CanonicalValue);

        var ekg = Extract("Observation-ekg.json");
        var origin = Assert.Single(ekg.Values<QuantityValue>("component-value-quantity")); // three equal origins, stored once
        Assert.Equal(2048m, origin.Value);
        Assert.Null(origin.System);
    }
}
