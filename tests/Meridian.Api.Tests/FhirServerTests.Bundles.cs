namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    private static string Bundle(string type, params string[] entries) =>
        $$"""{"resourceType":"Bundle","type":"{{type}}","entry":[{{string.Join(",", entries)}}]}""";

    private static string Entry(string method, string url, string? resource = null, string? fullUrl = null, string? extra = null) =>
        "{" + (fullUrl is null ? "" : $"\"fullUrl\":\"{fullUrl}\",") + (resource is null ? "" : $"\"resource\":{resource},")
        + $"\"request\":{{\"method\":\"{method}\",\"url\":\"{url}\"{(extra is null ? "" : "," + extra)}}}}}";

    [Fact]
    public async Task Transaction_creates_linked_resources_and_rewrites_urn_uuid_references()
    {
        var patientUrn = "urn:uuid:" + Guid.NewGuid();
        var bundle = Bundle("transaction",
            Entry("POST", "Observation", Observation(patientUrn)),
            Entry("POST", "Patient", Patient("Tx", identifier: "tx-1"), patientUrn),
            Entry("GET", "Patient?identifier=urn:test|tx-1"));
        var reply = await Api.PostAsync("", bundle);
        Assert.True(reply.Code == 200, reply.ToString());
        Assert.Equal("transaction-response", reply.Json!["type"]!.GetValue<string>());
        var entries = reply.Json!["entry"]!.AsArray();
        Assert.StartsWith("201", entries[0]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("201", entries[1]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        var patientId = entries[1]!["resource"]!["id"]!.GetValue<string>();
        Assert.Equal($"Patient/{patientId}", entries[0]!["resource"]!["subject"]!["reference"]!.GetValue<string>());
        Assert.Contains($"/Patient/{patientId}/_history/1", entries[1]!["response"]!["location"]!.GetValue<string>(), StringComparison.Ordinal);
        // The GET ran after the writes.
        Assert.Single(entries[2]!["resource"]!["entry"]!.AsArray());
        var observationId = entries[0]!["resource"]!["id"]!.GetValue<string>();
        var stored = await Api.GetAsync($"Observation/{observationId}");
        Assert.Equal($"Patient/{patientId}", stored.Json!["subject"]!["reference"]!.GetValue<string>());
    }

    [Fact]
    public async Task Transaction_is_all_or_nothing()
    {
        var bundle = Bundle("transaction",
            Entry("POST", "Patient", Patient("Fine")),
            Entry("POST", "Patient", Patient("Broken", gender: "bogus")));
        var reply = await Api.PostAsync("", bundle);
        Assert.Equal(422, reply.Code);
        Assert.Equal("OperationOutcome", reply.Json!["resourceType"]!.GetValue<string>());
        Assert.Contains("entry[1]", reply.Json!["issue"]![0]!["diagnostics"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("Patient"));

        // A store-level failure (stale If-Match) rolls back the entries already applied.
        var id = (await Api.CreateAsync(Patient("Versioned"))).Id;
        var stale = Bundle("transaction",
            Entry("POST", "Patient", Patient("Extra")),
            Entry("PUT", $"Patient/{id}", Patient("Lost", id: id), extra: "\"ifMatch\":\"W/\\\"5\\\"\""));
        Assert.Equal(412, (await Api.PostAsync("", stale)).Code);
        Assert.Equal(1, await CountAsync("Patient"));
    }

    [Fact]
    public async Task Transaction_resolves_conditional_references_and_conditional_entries()
    {
        var existing = (await Api.CreateAsync(Patient("Cond", identifier: "tc-1"))).Id;
        var bundle = Bundle("transaction",
            Entry("POST", "Observation", Observation("Patient?identifier=urn:test|tc-1")),
            Entry("POST", "Patient", Patient("Cond again", identifier: "tc-1"), extra: "\"ifNoneExist\":\"identifier=urn:test|tc-1\""),
            Entry("PUT", "Patient?identifier=urn:test|tc-2", Patient("Upserted", identifier: "tc-2")));
        var reply = await Api.PostAsync("", bundle);
        Assert.True(reply.Code == 200, reply.ToString());
        var entries = reply.Json!["entry"]!.AsArray();
        Assert.Equal($"Patient/{existing}", entries[0]!["resource"]!["subject"]!["reference"]!.GetValue<string>());
        Assert.StartsWith("200", entries[1]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(existing, entries[1]!["resource"]!["id"]!.GetValue<string>());
        Assert.StartsWith("201", entries[2]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, await CountAsync("Patient"));

        var unresolved = Bundle("transaction", Entry("POST", "Observation", Observation("Patient?identifier=urn:test|none")));
        Assert.Equal(400, (await Api.PostAsync("", unresolved)).Code);
    }

    [Fact]
    public async Task Transaction_processes_deletes_first_and_refuses_double_writes()
    {
        var id = (await Api.CreateAsync(Patient("Old", identifier: "order-1"))).Id;
        // Listed POST first, DELETE second: the delete runs first, so the conditional create
        // (checked before either) still sees the old patient and the new one is created anyway.
        var bundle = Bundle("transaction",
            Entry("POST", "Patient", Patient("New", identifier: "order-2")),
            Entry("DELETE", $"Patient/{id}"));
        var reply = await Api.PostAsync("", bundle);
        Assert.True(reply.Code == 200, reply.ToString());
        Assert.StartsWith("204", reply.Json!["entry"]![1]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(410, (await Api.GetAsync($"Patient/{id}")).Code);

        var twice = Bundle("transaction",
            Entry("PUT", "Patient/same", Patient("A", id: "same")),
            Entry("PUT", "Patient/same", Patient("B", id: "same")));
        var conflict = await Api.PostAsync("", twice);
        Assert.Equal(409, conflict.Code);
        Assert.Equal(404, (await Api.GetAsync("Patient/same")).Code);
    }

    [Fact]
    public async Task Batch_entries_succeed_or_fail_independently()
    {
        var id = (await Api.CreateAsync(Patient("Batch"))).Id;
        var bundle = Bundle("batch",
            Entry("POST", "Patient", Patient("Good")),
            Entry("POST", "Patient", Patient("Bad", gender: "bogus")),
            Entry("GET", $"Patient/{id}"),
            Entry("GET", "Patient/missing"),
            Entry("DELETE", $"Patient/{id}"));
        var reply = await Api.PostAsync("", bundle);
        Assert.Equal(200, reply.Code);
        Assert.Equal("batch-response", reply.Json!["type"]!.GetValue<string>());
        var statuses = reply.Json!["entry"]!.AsArray().Select(e => e!["response"]!["status"]!.GetValue<string>()[..3]).ToList();
        Assert.Equal(["201", "422", "200", "404", "204"], statuses);
        Assert.Equal("OperationOutcome", reply.Json!["entry"]![1]!["response"]!["outcome"]!["resourceType"]!.GetValue<string>());
        Assert.Equal(1, await CountAsync("Patient"));
        Assert.Equal(400, (await Api.PostAsync("", """{"resourceType":"Bundle","type":"collection"}""")).Code);
        Assert.Equal(400, (await Api.PostAsync("", Patient("NotABundle"))).Code);
    }

    [Fact]
    public async Task Transaction_patch_entries_apply_json_patch_from_binary()
    {
        var id = (await Api.CreateAsync(Patient("TxPatch"))).Id;
        var patch = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("""[{"op":"replace","path":"/gender","value":"other"}]"""));
        var binary = $$"""{"resourceType":"Binary","contentType":"application/json-patch+json","data":"{{patch}}"}""";
        var reply = await Api.PostAsync("", Bundle("transaction", Entry("PATCH", $"Patient/{id}", binary)));
        Assert.True(reply.Code == 200, reply.ToString());
        Assert.Equal("other", (await Api.GetAsync($"Patient/{id}")).Json!["gender"]!.GetValue<string>());
    }
}
