namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task Prefer_return_controls_the_body_of_writes()
    {
        var minimal = await Api.PostAsync("Patient", Patient("Min"), ("Prefer", "return=minimal"));
        Assert.Equal(201, minimal.Code);
        Assert.Empty(minimal.Text);
        Assert.NotNull(minimal.Location);
        Assert.Equal("W/\"1\"", minimal.ETag);

        var outcome = await Api.PostAsync("Patient", Patient("OO"), ("Prefer", "return=OperationOutcome"));
        Assert.Equal(201, outcome.Code);
        Assert.Equal("OperationOutcome", outcome.Json!["resourceType"]!.GetValue<string>());

        var representation = await Api.PostAsync("Patient", Patient("Rep"), ("Prefer", "return=representation"));
        Assert.Equal("Patient", representation.Json!["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task If_Match_makes_updates_and_deletes_version_aware()
    {
        var id = (await Api.CreateAsync(Patient("V1"))).Id;
        var ok = await Api.PutAsync($"Patient/{id}", Patient("V2", id: id), ("If-Match", "W/\"1\""));
        Assert.Equal(200, ok.Code);
        var stale = await Api.PutAsync($"Patient/{id}", Patient("Lost", id: id), ("If-Match", "W/\"1\""));
        Assert.Equal(412, stale.Code);
        Assert.Equal("OperationOutcome", stale.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal(400, (await Api.PutAsync($"Patient/{id}", Patient("Bad", id: id), ("If-Match", "nonsense"))).Code);
        Assert.Equal(412, (await Api.DeleteAsync($"Patient/{id}", ("If-Match", "W/\"1\""))).Code);
        Assert.Equal("V2", (await Api.GetAsync($"Patient/{id}")).Json!["name"]![0]!["family"]!.GetValue<string>());
        Assert.Equal(204, (await Api.DeleteAsync($"Patient/{id}", ("If-Match", "W/\"2\""))).Code);
    }

    [Fact]
    public async Task If_None_Match_and_If_Modified_Since_answer_304_when_unchanged()
    {
        var id = (await Api.CreateAsync(Patient("Cache"))).Id;
        var same = await Api.GetAsync($"Patient/{id}", ("If-None-Match", "W/\"1\""));
        Assert.Equal(304, same.Code);
        Assert.Empty(same.Text);
        Assert.Equal(200, (await Api.GetAsync($"Patient/{id}", ("If-None-Match", "W/\"7\""))).Code);

        var future = DateTimeOffset.UtcNow.AddHours(1).ToString("R");
        var past = DateTimeOffset.UtcNow.AddDays(-1).ToString("R");
        Assert.Equal(304, (await Api.GetAsync($"Patient/{id}", ("If-Modified-Since", future))).Code);
        Assert.Equal(200, (await Api.GetAsync($"Patient/{id}", ("If-Modified-Since", past))).Code);
    }

    [Fact]
    public async Task Content_negotiation_serves_json_and_refuses_xml()
    {
        Assert.Equal(406, (await Api.GetAsync("metadata", ("Accept", "application/fhir+xml"))).Code);
        Assert.Equal(406, (await Api.GetAsync("metadata?_format=xml")).Code);
        var json = await Api.GetAsync("metadata?_format=json", ("Accept", "application/fhir+xml"));
        Assert.Equal(200, json.Code);
        var plainJson = await Api.GetAsync("metadata", ("Accept", "application/json"));
        Assert.Equal(200, plainJson.Code);
        Assert.Equal("application/fhir+json", plainJson.ContentType);
        Assert.Equal(200, (await Api.GetAsync("metadata", ("Accept", "*/*"))).Code);

        var text = await Api.SendAsync(HttpMethod.Post, "Patient", Patient("X"), "text/plain");
        Assert.Equal(415, text.Code);
        Assert.Equal("OperationOutcome", text.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal(415, (await Api.SendAsync(HttpMethod.Post, "Patient", "<Patient/>", "application/fhir+xml")).Code);
        Assert.Equal(201, (await Api.SendAsync(HttpMethod.Post, "Patient", Patient("J"), "application/json")).Code);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413()
    {
        var big = Patient(new string('x', (int)Support.ServerFixture.MaxBodyBytes));
        var reply = await Api.PostAsync("Patient", big);
        Assert.Equal(413, reply.Code);
        Assert.Equal("OperationOutcome", reply.Json!["resourceType"]!.GetValue<string>());
        Assert.Equal(0, await CountAsync("Patient"));
    }

    [Fact]
    public async Task Head_answers_like_get_without_a_body()
    {
        var id = (await Api.CreateAsync(Patient("Head"))).Id;
        var head = await Api.SendAsync(HttpMethod.Head, $"Patient/{id}", null, null);
        Assert.Equal(200, head.Code);
        Assert.Equal("W/\"1\"", head.ETag);
        Assert.Empty(head.Text);
        Assert.Equal(404, (await Api.SendAsync(HttpMethod.Head, "Patient/none", null, null)).Code);
    }

    private async Task<int> CountAsync(string type, string query = "")
    {
        var reply = await Api.GetAsync($"{type}?_summary=count{(query.Length == 0 ? "" : "&" + query)}");
        Assert.Equal(200, reply.Code);
        return reply.Json!["total"]!.GetValue<int>();
    }
}
