using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Meridian.Api;
using Meridian.Audit.Internal;
using Meridian.Fhir.Validation;
using Meridian.Storage;

namespace Meridian.Audit.Tests;

/// <summary>The AuditEvents Meridian writes are valid FHIR R4 and have the BALP RESTful shape.</summary>
public sealed class AuditEventContentTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 22, 1, 2, 3, 456, TimeSpan.Zero);

    private static readonly Caller s_clinician = new()
    {
        ClientId = "ehr-app",
        UserId = "u-42",
        FhirUser = "Practitioner/p1",
        Roles = ["clinician"],
        TokenId = "tok-1",
        RemoteAddress = "10.1.2.3",
        UserAgent = "curl/8.0",
    };

    private static JsonElement Valid(AuditRecord record)
    {
        var json = AuditEventWriter.ToJson(record);
        var errors = FhirValidator.R4.Validate(json, "AuditEvent").Where(i => i.IsError).ToList();
        Assert.True(errors.Count == 0, string.Join("; ", errors.Select(e => e.Message)));
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static AuditScope Scope(string method, string path, Caller caller, params (string, string)[] query) =>
        new(new FhirRequest(method, path)
        {
            Tenant = "acme",
            Caller = caller,
            Query = [.. query.Select(q => new KeyValuePair<string, string>(q.Item1, q.Item2))],
        }, AuditedInteraction.Classify(method, path), s_now);

    [Fact]
    public void A_read_names_the_user_client_server_the_versioned_resource_and_the_patient()
    {
        var scope = Scope("GET", "Patient/123", s_clinician);
        var response = new FhirResponse(200, Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"id\":\"123\"}")) { ETag = "W/\"3\"" };
        var e = Valid(AuditRecords.ForResponse(scope, response, s_now));

        Assert.Equal("rest", e.GetProperty("type").GetProperty("code").GetString());
        Assert.Equal("http://hl7.org/fhir/restful-interaction", e.GetProperty("subtype")[0].GetProperty("system").GetString());
        Assert.Equal("read", e.GetProperty("subtype")[0].GetProperty("code").GetString());
        Assert.Equal("R", e.GetProperty("action").GetString());
        Assert.Equal("0", e.GetProperty("outcome").GetString());
        Assert.Equal("2026-11-22T01:02:03.456Z", e.GetProperty("recorded").GetString());
        Assert.Equal("acme", e.GetProperty("source").GetProperty("site").GetString());

        var agents = e.GetProperty("agent").EnumerateArray().ToList();
        Assert.Equal(3, agents.Count);
        Assert.Single(agents, a => a.GetProperty("requestor").GetBoolean());
        var user = agents.Single(a => a.GetProperty("requestor").GetBoolean());
        Assert.Equal("Practitioner/p1", user.GetProperty("who").GetProperty("reference").GetString());
        Assert.Equal("u-42", user.GetProperty("who").GetProperty("identifier").GetProperty("value").GetString());
        Assert.Equal("clinician", user.GetProperty("role")[0].GetProperty("coding")[0].GetProperty("code").GetString());
        var client = agents.Single(a => a.GetProperty("type").GetProperty("coding")[0].GetProperty("code").GetString() == "110153");
        Assert.Equal("ehr-app", client.GetProperty("who").GetProperty("identifier").GetProperty("value").GetString());
        Assert.Equal("10.1.2.3", client.GetProperty("network").GetProperty("address").GetString());
        Assert.Equal("curl/8.0", client.GetProperty("extension")[0].GetProperty("valueString").GetString());
        Assert.Equal("urn:meridian:token:tok-1", client.GetProperty("policy")[0].GetString());
        Assert.Contains(agents, a => a.GetProperty("type").GetProperty("coding")[0].GetProperty("code").GetString() == "110152");

        var entities = e.GetProperty("entity").EnumerateArray().ToList();
        Assert.Contains(entities, x => x.GetProperty("role").GetProperty("code").GetString() == "4" && x.GetProperty("what").GetProperty("reference").GetString() == "Patient/123/_history/3");
        Assert.Contains(entities, x => x.GetProperty("role").GetProperty("code").GetString() == "1" && x.GetProperty("what").GetProperty("reference").GetString() == "Patient/123");
    }

    [Fact]
    public void A_search_records_its_query_base64_and_the_patient_it_names()
    {
        var scope = Scope("GET", "Observation", new Caller { ClientId = "backend", Roles = ["integration"] }, ("subject", "Patient/9"), ("code", "1234-5"));
        var e = Valid(AuditRecords.ForResponse(scope, new FhirResponse(200, Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\",\"type\":\"searchset\"}")), s_now));

        Assert.Equal("search-type", e.GetProperty("subtype")[0].GetProperty("code").GetString());
        Assert.Equal("E", e.GetProperty("action").GetString());
        var query = e.GetProperty("entity").EnumerateArray().Single(x => x.GetProperty("role").GetProperty("code").GetString() == "24");
        Assert.Equal("subject=Patient%2F9&code=1234-5", Encoding.UTF8.GetString(Convert.FromBase64String(query.GetProperty("query").GetString()!)));
        Assert.Contains(e.GetProperty("entity").EnumerateArray(), x => x.TryGetProperty("what", out var w) && w.GetProperty("reference").GetString() == "Patient/9");
        // No user: the client application is the requestor.
        var requestor = e.GetProperty("agent").EnumerateArray().Single(a => a.GetProperty("requestor").GetBoolean());
        Assert.Equal("110153", requestor.GetProperty("type").GetProperty("coding")[0].GetProperty("code").GetString());
    }

    [Fact]
    public void A_committed_write_names_every_new_version_and_the_patient_of_the_resource()
    {
        var scope = Scope("POST", "Observation", s_clinician);
        var json = Encoding.UTF8.GetBytes("{\"resourceType\":\"Observation\",\"id\":\"o1\",\"subject\":{\"reference\":\"Patient/77\"}}");
        var results = ImmutableArray.Create(new WriteResult(0, WriteOutcome.Created, "Observation", "o1", new StoredResource("acme", "Observation", "o1", 1, s_now, false, json)));
        var e = Valid(AuditRecords.ForWrite(scope, results, s_now));

        Assert.Equal("create", e.GetProperty("subtype")[0].GetProperty("code").GetString());
        Assert.Equal("C", e.GetProperty("action").GetString());
        var refs = e.GetProperty("entity").EnumerateArray().Select(x => x.GetProperty("what").GetProperty("reference").GetString()).ToList();
        Assert.Equal(["Observation/o1/_history/1", "Patient/77"], refs);
    }

    [Fact]
    public void Break_the_glass_is_flagged_with_purpose_security_label_and_reason()
    {
        var scope = Scope("GET", "Patient/5", s_clinician with { BreakGlassReason = "unconscious patient in ED" });
        var e = Valid(AuditRecords.ForResponse(scope, new FhirResponse(200, Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\",\"id\":\"5\"}")), s_now));

        Assert.Equal("BTG", e.GetProperty("meta").GetProperty("security")[0].GetProperty("code").GetString());
        Assert.Equal("BTG", e.GetProperty("purposeOfEvent")[0].GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.Equal("unconscious patient in ED", e.GetProperty("purposeOfEvent")[0].GetProperty("text").GetString());
        var user = e.GetProperty("agent").EnumerateArray().Single(a => a.GetProperty("requestor").GetBoolean());
        Assert.Equal("unconscious patient in ED", user.GetProperty("purposeOfUse")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData(401, "4")]
    [InlineData(403, "4")]
    [InlineData(422, "4")]
    [InlineData(500, "8")]
    public void Failures_are_recorded_with_their_outcome_and_what_was_asked(int status, string outcome)
    {
        var scope = Scope("PUT", "Patient/1", Caller.Anonymous);
        var e = Valid(AuditRecords.ForResponse(scope, FhirResponse.Error(status, "processing", "nope"), s_now));

        Assert.Equal(outcome, e.GetProperty("outcome").GetString());
        Assert.Contains("nope", e.GetProperty("outcomeDesc").GetString(), StringComparison.Ordinal);
        Assert.Equal("U", e.GetProperty("action").GetString());
        Assert.Contains(e.GetProperty("entity").EnumerateArray(), x => x.TryGetProperty("what", out var w) && w.GetProperty("reference").GetString() == "Patient/1");
        Assert.Equal("anonymous", e.GetProperty("agent")[0].GetProperty("who").GetProperty("display").GetString());
    }

    [Theory]
    [InlineData("GET", "Patient/1/_history/2", "vread", "R")]
    [InlineData("GET", "Patient/1/_history", "history-instance", "R")]
    [InlineData("GET", "_history", "history-system", "R")]
    [InlineData("GET", "metadata", "capabilities", "R")]
    [InlineData("POST", "Patient/_search", "search-type", "E")]
    [InlineData("GET", "Patient/1/$everything", "operation", "E")]
    [InlineData("DELETE", "Patient", "delete", "D")]
    [InlineData("PATCH", "Patient/1", "patch", "U")]
    [InlineData("POST", "", "transaction", "E")]
    public void Interactions_are_classified_by_method_and_path(string method, string path, string code, string action)
    {
        var i = AuditedInteraction.Classify(method, path);
        Assert.Equal((code, action), (i.Code, i.Action));
    }

    [Fact]
    public void A_batch_is_told_from_a_transaction_and_audit_event_writes_in_bundles_are_found()
    {
        var batch = new FhirRequest("POST", "") { Body = Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"request\":{\"method\":\"GET\",\"url\":\"AuditEvent/1\"}}]}") };
        var tx = new FhirRequest("POST", "") { Body = Encoding.UTF8.GetBytes("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"request\":{\"method\":\"DELETE\",\"url\":\"AuditEvent?date=lt2020\"}}]}") };

        Assert.Equal(("batch", false), (FhirAuditInterceptor.Inspect(batch).Interaction.Code, FhirAuditInterceptor.Inspect(batch).WritesAuditEvents));
        Assert.Equal(("transaction", true), (FhirAuditInterceptor.Inspect(tx).Interaction.Code, FhirAuditInterceptor.Inspect(tx).WritesAuditEvents));
        Assert.True(FhirAuditInterceptor.Inspect(new FhirRequest("PUT", "AuditEvent/1")).WritesAuditEvents);
        Assert.False(FhirAuditInterceptor.Inspect(new FhirRequest("GET", "AuditEvent/1")).WritesAuditEvents);
    }
}
