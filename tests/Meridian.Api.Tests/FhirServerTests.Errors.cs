namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task Unknown_types_are_404_and_wrong_methods_405()
    {
        var unknown = await Api.GetAsync("Spaceship/1");
        Assert.Equal(404, unknown.Code);
        Assert.Equal("OperationOutcome", unknown.Json!["resourceType"]!.GetValue<string>());
        var method = await Api.DeleteAsync("metadata");
        Assert.Equal(405, method.Code);
        Assert.Equal("OperationOutcome", method.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal(405, (await Api.SendAsync(HttpMethod.Post, "Patient/1/_history/1", Patient("x"), "application/fhir+json")).Code);
    }

    [Fact]
    public async Task Malformed_json_is_400_and_nothing_is_written()
    {
        var reply = await Api.PostAsync("Patient", "{\"resourceType\":\"Patient\",");
        Assert.Equal(400, reply.Code);
        Assert.Equal("OperationOutcome", reply.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal(400, (await Api.PostAsync("Patient", "")).Code);
        Assert.Equal(400, (await Api.PostAsync("Patient", Observation("Patient/1"))).Code);
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Fact]
    public async Task An_invalid_resource_is_422_and_never_written()
    {
        var bad = await Api.PostAsync("Patient", Patient("Bad", gender: "bogus"));
        Assert.Equal(422, bad.Code);
        var issue = bad.Json!["issue"]![0]!;
        Assert.Equal("error", issue["severity"]!.GetValue<string>());
        Assert.Contains("Patient.gender", issue["expression"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        var unknownElement = await Api.PostAsync("Patient", "{\"resourceType\":\"Patient\",\"colour\":\"blue\"}");
        Assert.Equal(422, unknownElement.Code);
        Assert.Equal(0, await CountAsync("Patient"));

        var id = (await Api.CreateAsync(Patient("Good"))).Id;
        Assert.Equal(422, (await Api.PutAsync($"Patient/{id}", Patient("Good", id: id, gender: "bogus"))).Code);
        Assert.Equal("W/\"1\"", (await Api.GetAsync($"Patient/{id}")).ETag);
    }

    [Fact]
    public async Task An_invalid_id_in_the_url_is_400()
    {
        Assert.Equal(400, (await Api.GetAsync("Patient/bad_id!")).Code);
        Assert.Equal(400, (await Api.PutAsync("Patient/" + new string('a', 65), Patient("Long", id: new string('a', 65)))).Code);
    }
}
