namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task Metadata_describes_what_the_server_supports()
    {
        var reply = await Api.GetAsync("metadata");
        Assert.Equal(200, reply.Code);
        var cs = reply.Json!;
        Assert.Equal("CapabilityStatement", cs["resourceType"]!.GetValue<string>());
        Assert.Equal("4.0.1", cs["fhirVersion"]!.GetValue<string>());
        var rest = cs["rest"]![0]!;
        var resources = rest["resource"]!.AsArray();
        Assert.True(resources.Count > 140);
        var patient = resources.Single(r => r!["type"]!.GetValue<string>() == "Patient")!;
        var interactions = patient["interaction"]!.AsArray().Select(i => i!["code"]!.GetValue<string>()).ToList();
        Assert.Contains("patch", interactions);
        Assert.Contains("history-instance", interactions);
        var parameters = patient["searchParam"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("birthdate", parameters);
        Assert.Contains("identifier", parameters);
        Assert.Contains(patient["operation"]!.AsArray(), o => o!["name"]!.GetValue<string>() == "everything");
        var system = rest["interaction"]!.AsArray().Select(i => i!["code"]!.GetValue<string>()).ToList();
        Assert.Contains("transaction", system);
        Assert.Contains("batch", system);
        // The server's own answer validates against the spec.
        var validated = await Api.PostAsync("CapabilityStatement/$validate", reply.Text);
        var errors = validated.Json!["issue"]!.AsArray().Where(i => i!["severity"]!.GetValue<string>() is "error" or "fatal").ToList();
        Assert.True(errors.Count == 0, string.Join(" | ", errors.Take(3).Select(e => e!.ToJsonString())));
    }

    [Fact]
    public async Task Patient_everything_returns_the_patient_compartment()
    {
        var p = (await Api.CreateAsync(Patient("Every"))).Id;
        var other = (await Api.CreateAsync(Patient("Other"))).Id;
        var obs = (await Api.CreateAsync(Observation($"Patient/{p}"))).Id;
        var encounter = (await Api.CreateAsync($$$"""{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/{{{p}}}"}}""")).Id;
        await Api.CreateAsync(Observation($"Patient/{other}"));

        var reply = await Api.GetAsync($"Patient/{p}/$everything");
        Assert.Equal(200, reply.Code);
        var ids = reply.Json!["entry"]!.AsArray().Where(e => e!["resource"]!["resourceType"]!.GetValue<string>() != "AuditEvent").Select(e => e!["resource"]!["resourceType"]!.GetValue<string>() + "/" + e!["resource"]!["id"]!.GetValue<string>()).ToHashSet();
        Assert.Equal(new HashSet<string> { $"Patient/{p}", $"Observation/{obs}", $"Encounter/{encounter}" }, ids);
        Assert.Equal(404, (await Api.GetAsync("Patient/nobody/$everything")).Code);
    }

    [Fact]
    public async Task Validate_reports_issues_without_storing()
    {
        var ok = await Api.PostAsync("Patient/$validate", Patient("Valid"));
        Assert.Equal(200, ok.Code);
        Assert.DoesNotContain(ok.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
        var bad = await Api.PostAsync("Patient/$validate", Patient("Invalid", gender: "bogus"));
        Assert.Equal(200, bad.Code);
        Assert.Contains(bad.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
        var wrapped = await Api.PostAsync("Patient/$validate", "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"resource\",\"resource\":" + Patient("P", gender: "bogus") + "}]}");
        Assert.Contains(wrapped.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
        Assert.Equal(0, await CountAsync("Patient"));

        var id = (await Api.CreateAsync(Patient("Stored"))).Id;
        var instance = await Api.PostAsync($"Patient/{id}/$validate", null);
        Assert.Equal(200, instance.Code);
        Assert.DoesNotContain(instance.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
        var mismatch = await Api.PostAsync($"Patient/{id}/$validate", Patient("Other", id: "other-id"));
        Assert.Contains(mismatch.Json!["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
    }
}
