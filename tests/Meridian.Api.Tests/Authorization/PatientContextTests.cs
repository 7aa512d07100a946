using System.Text.Json.Nodes;
using Meridian.Api.Authorization;

namespace Meridian.Api.Tests.Authorization;

/// <summary>
/// A patient-context token (<c>patient/…</c> scopes, launch patient p1) sees only p1's
/// compartment: searches, reads, includes, reverse includes, chains, <c>_has</c>, history,
/// <c>$everything</c>, writes and Bundles must not let anything of patient p2 through.
/// </summary>
public abstract class PatientContextTests(AuthzStoreFixture fx)
{
    private readonly string _tenant = "pc" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _p1 = "p1-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _p2 = "p2-" + Guid.NewGuid().ToString("N")[..8];

    private string Obs1 => "o1-" + _p1; // p1, laboratory, code c1
    private string Obs2 => "o2-" + _p2; // p2, vital-signs, code c2, performer prac
    private string Obs3 => "o3-" + _p1; // p1, vital-signs, code c3
    private string Prac => "pr-" + _p1;

    private Caller App(params string[] scopes) => new()
    {
        ClientId = "patient-app",
        UserId = "patient-user",
        Scopes = scopes.Length == 0 ? ["patient/*.cruds"] : [.. scopes],
        PatientContext = _p1,
        TokenTenant = _tenant,
    };

    private static string Observation(string? id, string patient, string category, string code, string? performer = null) =>
        $$"""{"resourceType":"Observation",{{(id is null ? "" : $"\"id\":\"{id}\",")}}"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"{{category}}"}]}],"code":{"coding":[{"system":"urn:test","code":"{{code}}"}]},"subject":{"reference":"Patient/{{patient}}"}{{(performer is null ? "" : $",\"performer\":[{{\"reference\":\"Practitioner/{performer}\"}}]")}}}""";

    public static string Entry(string method, string url, string? resource = null) =>
        "{" + (resource is null ? "" : "\"resource\":" + resource + ",") + "\"request\":{\"method\":\"" + method + "\",\"url\":\"" + url + "\"}}";

    public static string Bundle(string type, params string[] entries) =>
        "{\"resourceType\":\"Bundle\",\"type\":\"" + type + "\",\"entry\":[" + string.Join(",", entries) + "]}";

    private async Task SeedAsync()
    {
        await fx.SeedAsync(_tenant, """{"resourceType":"Patient","name":[{"family":"Alpha"}]}""", _p1);
        await fx.SeedAsync(_tenant, """{"resourceType":"Patient","name":[{"family":"Beta"}],"birthDate":"1990-01-01"}""", _p2);
        await fx.SeedAsync(_tenant, """{"resourceType":"Practitioner","name":[{"family":"Gamma"}]}""", Prac);
        await fx.SeedAsync(_tenant, Observation(null, _p1, "laboratory", "c1", Prac), Obs1);
        await fx.SeedAsync(_tenant, Observation(null, _p2, "vital-signs", "c2", Prac), Obs2);
        await fx.SeedAsync(_tenant, Observation(null, _p1, "vital-signs", "c3"), Obs3);
    }

    private Task<FhirResponse> Get(Caller caller, string path, params (string, string)[] query) =>
        fx.SendAsync(caller, _tenant, "GET", path, query: query.Select(q => new KeyValuePair<string, string>(q.Item1, q.Item2)));

    private async Task<List<string>> SearchIds(Caller caller, string path, params (string, string)[] query)
    {
        var response = await Get(caller, path, query);
        Assert.True(response.Status == 200, AuthzStoreFixture.Text(response));
        return AuthzStoreFixture.EntryIds(response);
    }

    [Fact]
    public async Task Searches_see_only_the_compartment()
    {
        await SeedAsync();
        var app = App();
        Assert.Equal(new[] { $"Observation/{Obs1}", $"Observation/{Obs3}" }.Order(), (await SearchIds(app, "Observation")).Order());
        Assert.Equal([$"Patient/{_p1}"], await SearchIds(app, "Patient"));
        Assert.Empty(await SearchIds(app, "Patient", ("_id", _p2)));
        Assert.Empty(await SearchIds(app, "Observation", ("subject", "Patient/" + _p2)));
        // Practitioner is outside the Patient compartment: reference data, visible to patient scopes.
        Assert.Equal([$"Practitioner/{Prac}"], await SearchIds(app, "Practitioner"));
        var total = await Get(app, "Observation", ("_summary", "count"));
        Assert.Equal(2, JsonNode.Parse(total.Body.Span)!["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Includes_and_reverse_includes_do_not_leak()
    {
        await SeedAsync();
        var app = App();
        var rev = await SearchIds(app, "Patient", ("_revinclude", "Observation:subject"));
        Assert.Equal(new[] { $"Patient/{_p1}", $"Observation/{Obs1}", $"Observation/{Obs3}" }.Order(), rev.Order());
        var inc = await SearchIds(app, "Observation", ("_include", "Observation:subject"), ("_include", "Observation:performer"));
        Assert.DoesNotContain(inc, i => i.Contains(_p2, StringComparison.Ordinal));
        Assert.Contains($"Patient/{_p1}", inc);
        Assert.Contains($"Practitioner/{Prac}", inc);
        // Practitioner revinclude of Observations: only the compartment's observations come along.
        var prac = await SearchIds(app, "Practitioner", ("_revinclude", "Observation:performer"));
        Assert.Contains($"Observation/{Obs1}", prac);
        Assert.DoesNotContain($"Observation/{Obs2}", prac);
    }

    [Fact]
    public async Task Chains_and_has_are_bounded_by_the_compartment()
    {
        await SeedAsync();
        var app = App();
        Assert.Empty(await SearchIds(app, "Observation", ("subject:Patient.name", "Beta")));
        Assert.Equal(2, (await SearchIds(app, "Observation", ("subject:Patient.name", "Alpha"))).Count);
        Assert.Empty(await SearchIds(app, "Patient", ("_has:Observation:subject:code", "c2")));
        // Without the compartment inside _has, obs2 (p2's) would reveal that Gamma treated code c2.
        Assert.Empty(await SearchIds(app, "Practitioner", ("_has:Observation:performer:code", "c2")));
        Assert.Equal([$"Practitioner/{Prac}"], await SearchIds(app, "Practitioner", ("_has:Observation:performer:code", "c1")));
        // An untyped chain reaches several target types; each is bounded like a typed one (or refused).
        var untyped = await Get(app, "Observation", ("subject.birthdate", "1990"));
        Assert.True(untyped.Status == 403 || AuthzStoreFixture.EntryIds(untyped).Count == 0, AuthzStoreFixture.Text(untyped));
    }

    [Fact]
    public async Task Reads_outside_the_compartment_are_refused()
    {
        await SeedAsync();
        var app = App();
        Assert.Equal(200, (await Get(app, $"Observation/{Obs1}")).Status);
        Assert.Equal(200, (await Get(app, $"Patient/{_p1}")).Status);
        foreach (var path in new[] { $"Observation/{Obs2}", $"Patient/{_p2}", $"Observation/{Obs2}/_history/1", $"Observation/{Obs2}/_history", $"Patient/{_p2}/$everything" })
        {
            var r = await Get(app, path);
            Assert.True(r.Status == 403, $"{path}: {r.Status}");
            Assert.DoesNotContain("Beta", AuthzStoreFixture.Text(r), StringComparison.Ordinal);
        }
        Assert.Equal(404, (await Get(app, "Observation/never-existed")).Status);
    }

    [Fact]
    public async Task Everything_and_history_hold_only_the_compartment()
    {
        await SeedAsync();
        var app = App();
        var everything = await Get(app, $"Patient/{_p1}/$everything");
        Assert.Equal(200, everything.Status);
        var ids = AuthzStoreFixture.EntryIds(everything);
        Assert.Contains($"Observation/{Obs1}", ids);
        Assert.DoesNotContain($"Observation/{Obs2}", ids);
        var history = await Get(app, "Observation/_history");
        Assert.Equal(200, history.Status);
        Assert.DoesNotContain(Obs2, AuthzStoreFixture.Text(history), StringComparison.Ordinal);
        Assert.Contains(Obs1, AuthzStoreFixture.Text(history), StringComparison.Ordinal);
        var system = await Get(app, "_history");
        Assert.DoesNotContain(Obs2, AuthzStoreFixture.Text(system), StringComparison.Ordinal);
        var across = await Get(app, "", ("_type", "Observation,Patient"));
        Assert.Equal(200, across.Status);
        Assert.DoesNotContain(_p2, AuthzStoreFixture.Text(across), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writes_must_stay_in_the_compartment()
    {
        await SeedAsync();
        var app = App();
        Assert.Equal(201, (await fx.SendAsync(app, _tenant, "POST", "Observation", Observation(null, _p1, "laboratory", "new"))).Status);
        var forOther = await fx.SendAsync(app, _tenant, "POST", "Observation", Observation(null, _p2, "laboratory", "new"));
        Assert.Equal(403, forOther.Status);
        Assert.Equal(403, (await fx.SendAsync(app, _tenant, "POST", "Patient", """{"resourceType":"Patient"}""")).Status);
        Assert.Equal(403, (await fx.SendAsync(app, _tenant, "PUT", $"Observation/{Obs2}", Observation(Obs2, _p2, "laboratory", "x"))).Status);
        Assert.Equal(403, (await fx.SendAsync(app, _tenant, "DELETE", $"Observation/{Obs2}")).Status);
        Assert.Equal(403, (await fx.SendAsync(app, _tenant, "PATCH", $"Observation/{Obs2}", """[{"op":"add","path":"/language","value":"en"}]""",
            headers: new FhirRequestHeaders { ContentType = "application/json-patch+json" })).Status);
        // Moving one's own observation to another patient is a write outside the compartment.
        Assert.Equal(403, (await fx.SendAsync(app, _tenant, "PUT", $"Observation/{Obs1}", Observation(Obs1, _p2, "laboratory", "c1"))).Status);
        // A patch that would move it is refused by the store's second line.
        Assert.Equal(403, (await fx.SendAsync(app, _tenant, "PATCH", $"Observation/{Obs1}", $$"""[{"op":"replace","path":"/subject/reference","value":"Patient/{{_p2}}"}]""",
            headers: new FhirRequestHeaders { ContentType = "application/json-patch+json" })).Status);
        // Conditional delete only ever matches inside the compartment.
        Assert.Equal(204, (await fx.SendAsync(app, _tenant, "DELETE", "Observation", query: [new("code", "c2")])).Status);
        var system = Caller.System("check");
        var obs2 = await fx.SendAsync(system with { TokenTenant = _tenant }, _tenant, "GET", $"Observation/{Obs2}");
        Assert.Equal(200, obs2.Status);
        Assert.Contains("\"c2\"", AuthzStoreFixture.Text(obs2), StringComparison.Ordinal);
        Assert.Contains("\"" + _p2 + "\"", AuthzStoreFixture.Text(obs2).Replace("Patient/", "\"", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_transaction_with_one_refused_entry_writes_nothing()
    {
        await SeedAsync();
        var app = App();
        var bundle = Bundle("transaction", Entry("POST", "Observation", Observation(null, _p1, "laboratory", "tx1")),
            Entry("POST", "Observation", Observation(null, _p2, "laboratory", "tx2")));
        var response = await fx.SendAsync(app, _tenant, "POST", "", bundle);
        Assert.Equal(403, response.Status);
        Assert.Equal(AuthorizationOutcome.Denied, response.Authorization!.Outcome);
        Assert.Empty(await SearchIds(Caller.System("check") with { TokenTenant = _tenant }, "Observation", ("code", "tx1")));

        var readOther = Bundle("transaction", Entry("POST", "Observation", Observation(null, _p1, "laboratory", "tx3")),
            Entry("GET", $"Observation/{Obs2}"));
        Assert.Equal(403, (await fx.SendAsync(app, _tenant, "POST", "", readOther)).Status);
        Assert.Empty(await SearchIds(Caller.System("check") with { TokenTenant = _tenant }, "Observation", ("code", "tx3")));
    }

    [Fact]
    public async Task A_batch_refuses_only_the_refused_entries()
    {
        await SeedAsync();
        var app = App();
        var bundle = Bundle("batch", Entry("POST", "Observation", Observation(null, _p1, "laboratory", "b1")),
            Entry("GET", $"Observation/{Obs2}"), Entry("GET", "Observation?code=c2"));
        var response = await fx.SendAsync(app, _tenant, "POST", "", bundle);
        Assert.Equal(200, response.Status);
        var entries = JsonNode.Parse(response.Body.Span)!["entry"]!.AsArray();
        Assert.StartsWith("201", entries[0]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("403", entries[1]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("200", entries[2]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        // The refusal names the URL the client sent, but no entry carries p2's data.
        Assert.DoesNotContain("\"c2\"", AuthzStoreFixture.Text(response), StringComparison.Ordinal);
        Assert.Equal(AuthorizationOutcome.Permitted, response.Authorization!.Outcome);
        Assert.Equal(1, response.Authorization.DeniedParts);
    }

    [Fact]
    public async Task Restricted_scopes_narrow_searches_and_reads()
    {
        await SeedAsync();
        var lab = App("patient/Observation.rs?category=laboratory", "patient/Patient.r");
        Assert.Equal([$"Observation/{Obs1}"], await SearchIds(lab, "Observation"));
        Assert.Equal(403, (await Get(lab, $"Observation/{Obs3}")).Status);
        Assert.Equal(200, (await Get(lab, $"Observation/{Obs1}")).Status);
        // Patient.r without s: no searching patients, and no chain into them.
        Assert.Equal(403, (await Get(lab, "Patient")).Status);
        Assert.Equal(403, (await Get(lab, "Observation", ("subject:Patient.name", "Alpha"))).Status);
        // Declared include targets must be readable: Practitioner is not in these scopes.
        Assert.Equal(403, (await Get(lab, "Observation", ("_include", "Observation:performer:Practitioner"))).Status);
        Assert.Equal(403, (await Get(lab, "Patient", ("_id", _p1), ("_revinclude", "Provenance:target"))).Status);
        // Undeclared include targets the caller may not read are left out, not refused.
        var inc = await SearchIds(lab, "Observation", ("_include", "Observation:performer"));
        Assert.Equal([$"Observation/{Obs1}"], inc);
        // A restricted scope never allows writes it cannot check itself.
        var writer = App("patient/Observation.c?category=laboratory");
        Assert.Equal(403, (await fx.SendAsync(writer, _tenant, "POST", "Observation", Observation(null, _p1, "laboratory", "w"))).Status);
    }

    [Fact]
    public async Task A_patient_scope_without_a_launch_patient_grants_nothing()
    {
        await SeedAsync();
        var noPatient = App() with { PatientContext = null };
        Assert.Equal(403, (await Get(noPatient, "Observation")).Status);
        Assert.Equal(403, (await Get(noPatient, $"Observation/{Obs1}")).Status);
    }
}

public sealed class SqlitePatientContextTests(SqliteAuthzFixture fx) : PatientContextTests(fx), IClassFixture<SqliteAuthzFixture>;

public sealed class PostgresPatientContextTests(PostgresAuthzFixture fx) : PatientContextTests(fx), IClassFixture<PostgresAuthzFixture>;
