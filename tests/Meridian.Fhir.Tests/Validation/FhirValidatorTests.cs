using System.Text;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Specification;
using Meridian.Fhir.Validation;

namespace Meridian.Fhir.Tests.Validation;

public class FhirValidatorTests
{
    private static byte[] Json(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void A_valid_resource_has_no_issues()
    {
        var issues = FhirValidator.R4.Validate(Json("""
            {"resourceType":"Observation","id":"o1","status":"final","code":{"text":"x"},
             "subject":{"reference":"Patient/1"},"effectivePeriod":{"start":"2023-01-01","end":"2023-01-02T10:00:00Z"},
             "valueQuantity":{"value":1.5,"system":"http://unitsofmeasure.org","code":"mg"}}
            """));
        Assert.Empty(issues);
    }

    [Fact]
    public void Max_string_length_comes_from_the_options()
    {
        var v = new FhirValidator(FhirSpec.R4, FhirPathEngine.R4, new ValidatorOptions { MaxStringLength = 5 });
        var issues = v.Validate(Json("""{"resourceType":"Patient","name":[{"family":"Abcdefg"}]}"""));
        Assert.Contains(issues, i => i.Code == IssueType.TooLong && i.Expression == "Patient.name[0].family");
        Assert.Empty(FhirValidator.R4.Validate(Json("""{"resourceType":"Patient","name":[{"family":"Abcdefg"}]}""")));
    }

    [Fact]
    public void Options_switch_off_invariants_bindings_and_references()
    {
        var json = Json("""{"resourceType":"Observation","status":"finished","code":{"text":"x"},"subject":{"reference":"Medication/1"},"valueString":"a","dataAbsentReason":{"text":"b"}}""");
        Assert.Equal(3, FhirValidator.R4.Validate(json).Count(i => i.IsError));
        var v = new FhirValidator(FhirSpec.R4, FhirPathEngine.R4,
            new ValidatorOptions { ValidateInvariants = false, ValidateBindings = false, ValidateReferences = false });
        Assert.Empty(v.Validate(json));
    }

    [Fact]
    public void Expected_type_mismatch_is_reported()
    {
        var issues = FhirValidator.R4.Validate(Json("""{"resourceType":"Patient"}"""), "Observation");
        Assert.Contains(issues, i => i.IsError && i.Code == IssueType.Invalid);
    }

    [Fact]
    public void Malformed_json_keeps_the_parser_line_and_column()
    {
        var issue = Assert.Single(FhirValidator.R4.Validate(Json("{\n \"resourceType\": \"Patient\",\n \"active\": tru\n}")));
        Assert.Equal(3, issue.Line);
        Assert.NotNull(issue.Column);
    }

    [Fact]
    public void Validating_a_tree_reports_a_wrong_json_kind_the_parser_saw()
    {
        var parsed = FhirJsonParser.R4.Parse(Json("""{"resourceType":"Patient","active":"true"}"""));
        var issues = FhirValidator.R4.Validate(parsed.Resource!);
        Assert.Contains(issues, i => i.Code == IssueType.Structure && i.Expression == "Patient.active");
        var objectForDate = FhirJsonParser.R4.Parse(Json("""{"resourceType":"Patient","birthDate":{"x":1}}"""));
        var issue = Assert.Single(FhirValidator.R4.Validate(objectForDate.Resource!));
        Assert.Equal((IssueType.Structure, "Patient.birthDate"), (issue.Code, issue.Expression));
    }

    [Fact]
    public void Reference_type_element_must_be_an_allowed_target()
    {
        var issues = FhirValidator.R4.Validate(Json("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"type":"Medication","identifier":{"value":"1"}}}"""));
        Assert.Contains(issues, i => i.Code == IssueType.Invalid && i.Expression == "Observation.subject.type");
    }

    [Fact]
    public void Local_references_resolve_in_the_container_also_from_a_contained_resource()
    {
        const string ok = """
            {"resourceType":"Observation","status":"final","code":{"text":"x"},
             "contained":[{"resourceType":"Patient","id":"p","managingOrganization":{"reference":"#org"}},{"resourceType":"Organization","id":"org","name":"O"}],
             "subject":{"reference":"#p"}}
            """;
        Assert.Empty(FhirValidator.R4.Validate(Json(ok)));
        var wrongTarget = FhirValidator.R4.Validate(Json(ok.Replace("\"#org\"", "\"#p\"", StringComparison.Ordinal)));
        Assert.Contains(wrongTarget, i => i.Code == IssueType.Invalid && i.Expression == "Observation.contained[0].managingOrganization.reference");
        var missing = FhirValidator.R4.Validate(Json(ok.Replace("\"#org\"", "\"#nothere\"", StringComparison.Ordinal)));
        Assert.Contains(missing, i => i.Source == "ref-1" && i.Expression == "Observation.contained[0].managingOrganization");
    }

    [Fact]
    public void A_contained_resource_referring_to_its_container_satisfies_dom_3()
    {
        const string json = """
            {"resourceType":"Patient","id":"p1",
             "contained":[{"resourceType":"Observation","id":"o","status":"final","code":{"text":"x"},"subject":{"reference":"#"}}]}
            """;
        Assert.Empty(FhirValidator.R4.Validate(Json(json)));
    }

    [Fact]
    public void An_invariant_the_engine_cannot_evaluate_is_one_warning_not_a_crash()
    {
        var patient = FhirJsonParser.R4.Parse(Json("""{"resourceType":"Patient","name":[{"given":["a","b"]}]}""")).Resource!;
        var uncompilable = new CompiledConstraint(new Constraint("x-1", "error", "name.where(", "bad syntax"), FhirPathEngine.R4);
        var failing = new CompiledConstraint(new Constraint("x-2", "error", "name.given.single().exists()", "throws"), FhirPathEngine.R4);
        var run = new ValidationRun(FhirValidator.R4, reportParserFindings: true);
        run.EvaluateInvariants(patient, [uncompilable, failing]);
        run.EvaluateInvariants(patient, [uncompilable, failing]);
        Assert.Null(uncompilable.Expression);
        Assert.Equal(["x-1", "x-2"], run.Issues.Select(i => i.Source));
        Assert.All(run.Issues, i => Assert.Equal(IssueSeverity.Warning, i.Severity));
    }

    [Fact]
    public void Corrected_r4_invariants_accept_what_the_spec_text_allows()
    {
        // que-7: a boolean answer for 'exists'; opd-3: a resource-typed parameter with a target profile.
        var questionnaire = FhirValidator.R4.Validate(Json("""
            {"resourceType":"Questionnaire","status":"active","item":[{"linkId":"a","type":"boolean"},
             {"linkId":"b","type":"string","enableWhen":[{"question":"a","operator":"exists","answerBoolean":true}]}]}
            """));
        Assert.Empty(questionnaire);
        var operation = FhirValidator.R4.Validate(Json("""
            {"resourceType":"OperationDefinition","name":"Op","status":"active","kind":"operation","code":"op","system":false,"type":false,"instance":true,
             "parameter":[{"name":"p","use":"in","min":0,"max":"1","type":"Patient","targetProfile":["http://hl7.org/fhir/StructureDefinition/Patient"]}]}
            """));
        Assert.Empty(operation);
        var wrongQuestionnaire = FhirValidator.R4.Validate(Json("""
            {"resourceType":"Questionnaire","status":"active","item":[{"linkId":"a","type":"boolean"},
             {"linkId":"b","type":"string","enableWhen":[{"question":"a","operator":"exists","answerString":"yes"}]}]}
            """));
        Assert.Contains(wrongQuestionnaire, i => i.Source == "que-7" && i.Expression == "Questionnaire.item[1].enableWhen[0]");
        // tim-9 with several "when": evaluable (R4's "when in (...)" takes one item only).
        var timing = FhirValidator.R4.Validate(Json("""
            {"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"text":"x"},
             "subject":{"reference":"Patient/1"},"dosageInstruction":[{"timing":{"repeat":{"when":["ACM","PCV"],"offset":30}}}]}
            """));
        Assert.Empty(timing);
        var timingWrong = FhirValidator.R4.Validate(Json("""
            {"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"text":"x"},
             "subject":{"reference":"Patient/1"},"dosageInstruction":[{"timing":{"repeat":{"when":["ACM","CV"],"offset":30}}}]}
            """));
        Assert.Contains(timingWrong, i => i.Source == "tim-9");
        // que-12: two enableWhen need an enableBehavior.
        var twoConditions = FhirValidator.R4.Validate(Json("""
            {"resourceType":"Questionnaire","status":"active","item":[{"linkId":"a","type":"boolean"},
             {"linkId":"b","type":"string","enableWhen":[{"question":"a","operator":"exists","answerBoolean":true},{"question":"a","operator":"=","answerBoolean":true}]}]}
            """));
        Assert.Contains(twoConditions, i => i.Source == "que-12" && i.Expression == "Questionnaire.item[1]");
    }

    [Fact]
    public void Every_error_invariant_in_the_spec_compiles()
    {
        var plans = FhirValidator.R4.Plans;
        var all = plans.AllTypes.SelectMany(t => t.Invariants).Concat(plans.AllElements.SelectMany(e => e.Invariants)).Distinct().ToList();
        Assert.True(all.Count > 150, $"only {all.Count} invariants");
        Assert.Empty(all.Where(c => c.Expression is null).Select(c => $"{c.Key}: {c.CompileError}"));
    }

    [Fact]
    public void Issues_become_an_operation_outcome()
    {
        var issues = FhirValidator.R4.Validate(Json("""{"resourceType":"Patient","gender":"woman"}"""));
        var outcome = OperationOutcomeWriter.ToJson(issues);
        Assert.Contains("code-invalid", outcome, StringComparison.Ordinal);
        Assert.Contains("Patient.gender", outcome, StringComparison.Ordinal);
    }
}
