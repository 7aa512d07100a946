using System.Text.Json.Nodes;
using Meridian.Api.Tests.Support;

namespace Meridian.Api.Tests.PatientRights;

/// <summary>
/// <c>$purge</c> and <c>$export-record</c> over real HTTP on both stores. The server runs in
/// development mode (every caller counts as admin); the role checks themselves are covered
/// in-process by <see cref="PatientRightsAccessTests"/> and by the anonymous-caller test here.
/// </summary>
public abstract class PatientRightsTests(TestStore store) : IAsyncLifetime
{
    private ConfiguredServer? _server;
    private ConfiguredServer? _locked;

    private ConfiguredServer Server => _server!;

    public async Task InitializeAsync()
    {
        _server = await ConfiguredServer.StartAsync(store, new Dictionary<string, string?> { ["Meridian:InsecureDev"] = "true" });
        _locked = await ConfiguredServer.StartAsync(store, new Dictionary<string, string?>());
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        if (_locked is not null)
        {
            await _locked.DisposeAsync();
        }
    }

    private static string PatientJson(string family, string identifier) =>
        $$$"""{"resourceType":"Patient","identifier":[{"system":"urn:test","value":"{{{identifier}}}"}],"name":[{"family":"{{{family}}}"}]}""";

    private static string ObservationJson(string patientId, string code = "8867-4") =>
        $$$"""{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}"}]},"subject":{"reference":"Patient/{{{patientId}}}"}}""";

    /// <summary>A patient with an updated name, two observations (one updated), an encounter, a
    /// deleted observation, and the server's AuditEvent of the patient's creation; returns the ids.</summary>
    private static async Task<(string Patient, string Obs1, string Obs2, string Encounter, string Audit, string Deleted)> RecordAsync(FhirClient api, string family)
    {
        var patient = (await api.CreateAsync(PatientJson(family, family + "-id"))).Id;
        Assert.Equal(200, (await api.PutAsync($"Patient/{patient}", $$$"""{"resourceType":"Patient","id":"{{{patient}}}","identifier":[{"system":"urn:test","value":"{{{family}}}-id"}],"name":[{"family":"{{{family}}}","given":["Changed"]}]}""")).Code);
        var obs1 = (await api.CreateAsync(ObservationJson(patient))).Id;
        Assert.Equal(200, (await api.PutAsync($"Observation/{obs1}", ObservationJson(patient, "1234-5").Replace("{\"resourceType\":\"Observation\",", $"{{\"resourceType\":\"Observation\",\"id\":\"{obs1}\",", StringComparison.Ordinal))).Code);
        var obs2 = (await api.CreateAsync(ObservationJson(patient))).Id;
        var encounter = (await api.CreateAsync($$$"""{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/{{{patient}}}"}}""")).Id;
        // The server audits every interaction (AuditEvents cannot be written through the API):
        // the record of this patient's creation is the AuditEvent the purge must keep.
        var audits = await api.GetAsync("AuditEvent?_count=200");
        var audit = audits.Json!["entry"]!.AsArray().Select(e => e!["resource"]!)
            .First(r => r.ToJsonString().Contains($"Patient/{patient}/_history/1", StringComparison.Ordinal))["id"]!.GetValue<string>();
        var deleted = (await api.CreateAsync(ObservationJson(patient, "9999-9"))).Id;
        var delete = await api.DeleteAsync($"Observation/{deleted}");
        Assert.True(delete.Code is 200 or 204, delete.ToString());
        return (patient, obs1, obs2, encounter, audit, deleted);
    }

    [Fact]
    public async Task Purge_leaves_nothing_of_the_patient_and_leaves_other_patients_untouched()
    {
        var api = Server.NewTenant();
        var gone = await RecordAsync(api, "Purged");
        var kept = await RecordAsync(api, "Kept");

        var purge = await api.PostAsync($"Patient/{gone.Patient}/$purge", null);
        Assert.Equal(200, purge.Code);
        Assert.Contains("5 resources (8 versions)", purge.Text, StringComparison.Ordinal);

        foreach (var path in new[] { $"Patient/{gone.Patient}", $"Observation/{gone.Obs1}", $"Observation/{gone.Obs2}", $"Encounter/{gone.Encounter}", $"Patient/{gone.Patient}/_history/1", $"Observation/{gone.Deleted}", $"Observation/{gone.Deleted}/_history/1" })
        {
            Assert.Equal(404, (await api.GetAsync(path)).Code);
        }
        // Instance history of a resource that (now) never existed: 404, like a read.
        Assert.Equal(404, (await api.GetAsync($"Patient/{gone.Patient}/_history")).Code);
        Assert.Empty(Entries(await api.GetAsync($"Observation?subject=Patient/{gone.Patient}")));
        Assert.Empty(Entries(await api.GetAsync("Patient?identifier=urn:test|Purged-id")));
        Assert.DoesNotContain(Entries(await api.GetAsync("_history?_count=100")), e => e.Contains(gone.Patient, StringComparison.Ordinal) && !e.Contains("AuditEvent", StringComparison.Ordinal));
        // The AuditEvent about the patient stays: it is the record of what happened.
        Assert.Equal(200, (await api.GetAsync($"AuditEvent/{gone.Audit}")).Code);

        Assert.Equal(200, (await api.GetAsync($"Patient/{kept.Patient}")).Code);
        Assert.Equal(2, Entries(await api.GetAsync($"Observation?subject=Patient/{kept.Patient}")).Count);
        Assert.Equal(2, Entries(await api.GetAsync($"Patient/{kept.Patient}/_history")).Count);
        Assert.Single(Entries(await api.GetAsync("Patient?identifier=urn:test|Kept-id")));

        Assert.Equal(404, (await api.PostAsync($"Patient/{gone.Patient}/$purge", null)).Code);
    }

    [Fact]
    public async Task Purge_of_a_deleted_patient_removes_its_history()
    {
        var api = Server.NewTenant();
        var id = (await api.CreateAsync(PatientJson("Deleted", "deleted-id"))).Id;
        var delete = await api.DeleteAsync($"Patient/{id}");
        Assert.True(delete.Code is 200 or 204, delete.ToString());
        Assert.Equal(410, (await api.GetAsync($"Patient/{id}")).Code);
        Assert.Equal(200, (await api.PostAsync($"Patient/{id}/$purge", null)).Code);
        Assert.Equal(404, (await api.GetAsync($"Patient/{id}")).Code);
        Assert.Equal(404, (await api.GetAsync($"Patient/{id}/_history")).Code);
        Assert.DoesNotContain(Entries(await api.GetAsync("Patient/_history")), e => e.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Purge_and_export_without_a_token_are_refused_with_a_challenge()
    {
        // Authentication is on (no --insecure-dev): nothing is reached without a bearer token;
        // who may purge or export once authenticated is PatientRightsAccessTests' subject.
        var api = _locked!.NewTenant();
        foreach (var (method, path) in new[] { ("POST", "Patient/someone/$purge"), ("GET", "Patient/someone/$export-record") })
        {
            var reply = method == "POST" ? await api.PostAsync(path, null) : await api.GetAsync(path);
            Assert.Equal(401, reply.Code);
            Assert.Equal("OperationOutcome", reply.Json!["resourceType"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Export_record_holds_every_version_of_every_compartment_resource()
    {
        var api = Server.NewTenant();
        var mine = await RecordAsync(api, "Exported");
        var other = await RecordAsync(api, "Other");

        var export = await api.GetAsync($"Patient/{mine.Patient}/$export-record");
        Assert.Equal(200, export.Code);
        Assert.Equal("collection", export.Json!["type"]!.GetValue<string>());
        var versions = export.Json["entry"]!.AsArray()
            .Select(e => e!["resource"]!)
            .Select(r => $"{r["resourceType"]}/{r["id"]}/{r["meta"]!["versionId"]}")
            .Order(StringComparer.Ordinal).ToList();
        var expected = new[]
        {
            $"Encounter/{mine.Encounter}/1", $"Observation/{mine.Obs1}/1", $"Observation/{mine.Obs1}/2", $"Observation/{mine.Obs2}/1", $"Observation/{mine.Deleted}/1",
            $"Patient/{mine.Patient}/1", $"Patient/{mine.Patient}/2",
        }.Order(StringComparer.Ordinal);
        Assert.Equal(expected, versions);
        Assert.DoesNotContain(other.Patient, export.Text, StringComparison.Ordinal);

        var ndjson = await api.GetAsync($"Patient/{mine.Patient}/$export-record?_outputFormat=application/fhir%2Bndjson");
        Assert.Equal(200, ndjson.Code);
        Assert.Equal("application/fhir+ndjson", ndjson.ContentType);
        var lines = ndjson.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(7, lines.Length);
        Assert.All(lines, l => Assert.NotNull(JsonNode.Parse(l)!["resourceType"]));

        Assert.Equal(400, (await api.GetAsync($"Patient/{mine.Patient}/$export-record?_outputFormat=text/csv")).Code);
        Assert.Equal(404, (await api.GetAsync("Patient/nobody/$export-record")).Code);
    }

    private static List<string> Entries(Reply reply)
    {
        Assert.True(reply.Code == 200, reply.ToString());
        return reply.Json!["entry"]?.AsArray().Select(e => e!.ToJsonString()).ToList() ?? [];
    }
}

public sealed class SqlitePatientRightsTests() : PatientRightsTests(TestStore.Sqlite);

public sealed class PostgresPatientRightsTests() : PatientRightsTests(TestStore.Postgres);
