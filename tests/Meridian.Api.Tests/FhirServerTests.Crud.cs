using System.Text.RegularExpressions;

namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task Create_assigns_id_and_version_and_answers_201_with_location_and_etag()
    {
        var reply = await Api.PostAsync("Patient", Patient("Smith", id: "client-chosen"));
        Assert.Equal(201, reply.Code);
        var id = reply.Id;
        Assert.NotEqual("client-chosen", id);
        Assert.Matches(new Regex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"), id);
        Assert.Equal("1", reply.Json!["meta"]!["versionId"]!.GetValue<string>());
        Assert.NotNull(reply.Json!["meta"]!["lastUpdated"]);
        Assert.Equal("W/\"1\"", reply.ETag);
        Assert.Equal($"{Api.Base}/Patient/{id}/_history/1", reply.Location);
        Assert.NotNull(reply.ContentHeaders!.LastModified);
        Assert.Equal("application/fhir+json", reply.ContentType);
    }

    [Fact]
    public async Task Read_returns_the_current_version_and_404_for_unknown_ids()
    {
        var id = (await Api.CreateAsync(Patient("Jones"))).Id;
        var read = await Api.GetAsync($"Patient/{id}");
        Assert.Equal(200, read.Code);
        Assert.Equal("Jones", read.Json!["name"]![0]!["family"]!.GetValue<string>());
        Assert.Equal("W/\"1\"", read.ETag);

        var missing = await Api.GetAsync("Patient/does-not-exist");
        Assert.Equal(404, missing.Code);
        Assert.Equal("OperationOutcome", missing.Json!["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_writes_a_new_version_and_vread_returns_each()
    {
        var id = (await Api.CreateAsync(Patient("Before"))).Id;
        var update = await Api.PutAsync($"Patient/{id}", Patient("After", id: id));
        Assert.Equal(200, update.Code);
        Assert.Equal("W/\"2\"", update.ETag);
        Assert.Equal("2", update.Json!["meta"]!["versionId"]!.GetValue<string>());

        var v1 = await Api.GetAsync($"Patient/{id}/_history/1");
        Assert.Equal(200, v1.Code);
        Assert.Equal("Before", v1.Json!["name"]![0]!["family"]!.GetValue<string>());
        var v2 = await Api.GetAsync($"Patient/{id}/_history/2");
        Assert.Equal("After", v2.Json!["name"]![0]!["family"]!.GetValue<string>());
        Assert.Equal(404, (await Api.GetAsync($"Patient/{id}/_history/3")).Code);
    }

    [Fact]
    public async Task Update_of_a_new_id_creates_it_with_201()
    {
        var reply = await Api.PutAsync("Patient/my-own-id", Patient("Client", id: "my-own-id"));
        Assert.Equal(201, reply.Code);
        Assert.Equal("my-own-id", reply.Id);
        Assert.Equal($"{Api.Base}/Patient/my-own-id/_history/1", reply.Location);
        Assert.Equal(200, (await Api.GetAsync("Patient/my-own-id")).Code);
    }

    [Fact]
    public async Task Update_with_missing_or_mismatched_body_id_is_400()
    {
        Assert.Equal(400, (await Api.PutAsync("Patient/a1", Patient("NoId"))).Code);
        Assert.Equal(400, (await Api.PutAsync("Patient/a1", Patient("Other", id: "b2"))).Code);
        Assert.Equal(400, (await Api.PutAsync("Observation/a1", Patient("Wrong type", id: "a1"))).Code);
        Assert.Equal(404, (await Api.GetAsync("Patient/a1")).Code);
    }

    [Fact]
    public async Task Delete_answers_204_then_reads_are_410_and_history_is_kept()
    {
        var id = (await Api.CreateAsync(Patient("Gone"))).Id;
        await Api.PutAsync($"Patient/{id}", Patient("Gone2", id: id));
        var delete = await Api.DeleteAsync($"Patient/{id}");
        Assert.Equal(204, delete.Code);
        Assert.Empty(delete.Text);

        var read = await Api.GetAsync($"Patient/{id}");
        Assert.Equal(410, read.Code);
        Assert.Equal("OperationOutcome", read.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal(200, (await Api.GetAsync($"Patient/{id}/_history/2")).Code);
        Assert.Equal(410, (await Api.GetAsync($"Patient/{id}/_history/3")).Code);

        var history = await Api.GetAsync($"Patient/{id}/_history");
        var entries = history.Json!["entry"]!.AsArray();
        Assert.Equal(3, entries.Count);
        Assert.Equal("DELETE", entries[0]!["request"]!["method"]!.GetValue<string>());
        Assert.Null(entries[0]!["resource"]);

        // Deleting again is a successful no-op; with Prefer return=OperationOutcome it says so.
        var again = await Api.DeleteAsync($"Patient/{id}", ("Prefer", "return=OperationOutcome"));
        Assert.Equal(200, again.Code);
        Assert.Equal("OperationOutcome", again.Json!["resourceType"]!.GetValue<string>());

        // An update brings it back (re-created: 201), as the next version.
        Assert.Equal(201, (await Api.PutAsync($"Patient/{id}", Patient("Back", id: id))).Code);
        Assert.Equal("W/\"4\"", (await Api.GetAsync($"Patient/{id}")).ETag);
    }
}
