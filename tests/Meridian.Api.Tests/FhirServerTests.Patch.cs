namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    private const string JsonPatchType = "application/json-patch+json";

    [Fact]
    public async Task Json_patch_edits_the_resource_as_a_new_version()
    {
        var id = (await Api.CreateAsync(Patient("Patchy"))).Id;
        var patch = """
            [{"op":"replace","path":"/gender","value":"male"},
             {"op":"add","path":"/name/0/given/-","value":"Beth"},
             {"op":"test","path":"/birthDate","value":"1970-01-01"},
             {"op":"remove","path":"/birthDate"}]
            """;
        var reply = await Api.PatchAsync($"Patient/{id}", patch, JsonPatchType);
        Assert.Equal(200, reply.Code);
        Assert.Equal("W/\"2\"", reply.ETag);
        var read = (await Api.GetAsync($"Patient/{id}")).Json!;
        Assert.Equal("male", read["gender"]!.GetValue<string>());
        Assert.Equal("Beth", read["name"]![0]!["given"]![1]!.GetValue<string>());
        Assert.Null(read["birthDate"]);
    }

    [Fact]
    public async Task Json_patch_failures_change_nothing()
    {
        var id = (await Api.CreateAsync(Patient("Strict"))).Id;
        var failedTest = await Api.PatchAsync($"Patient/{id}", """[{"op":"test","path":"/gender","value":"male"},{"op":"remove","path":"/name"}]""", JsonPatchType);
        Assert.Equal(422, failedTest.Code);
        var invalid = await Api.PatchAsync($"Patient/{id}", """[{"op":"replace","path":"/gender","value":"bogus"}]""", JsonPatchType);
        Assert.Equal(422, invalid.Code);
        Assert.Equal(400, (await Api.PatchAsync($"Patient/{id}", """{"op":"remove"}""", JsonPatchType)).Code);
        var stale = await Api.PatchAsync($"Patient/{id}", """[{"op":"replace","path":"/gender","value":"male"}]""", JsonPatchType, ("If-Match", "W/\"9\""));
        Assert.Equal(412, stale.Code);
        Assert.Equal(404, (await Api.PatchAsync("Patient/nobody", "[]", JsonPatchType)).Code);
        Assert.Equal("W/\"1\"", (await Api.GetAsync($"Patient/{id}")).ETag);
    }

    [Fact]
    public async Task FhirPath_patch_adds_replaces_inserts_and_deletes()
    {
        var id = (await Api.CreateAsync(Patient("Path"))).Id;
        var parameters = """
            {"resourceType":"Parameters","parameter":[
              {"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.birthDate"},{"name":"value","valueDate":"1980-02-03"}]},
              {"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"identifier"},{"name":"value","valueIdentifier":{"system":"urn:test","value":"fp-1"}}]},
              {"name":"operation","part":[{"name":"type","valueCode":"insert"},{"name":"path","valueString":"Patient.name[0].given"},{"name":"index","valueInteger":0},{"name":"value","valueString":"Zoe"}]},
              {"name":"operation","part":[{"name":"type","valueCode":"delete"},{"name":"path","valueString":"Patient.gender"}]},
              {"name":"operation","part":[{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"deceased"},{"name":"value","valueBoolean":false}]}
            ]}
            """;
        var reply = await Api.PatchAsync($"Patient/{id}", parameters, "application/fhir+json");
        Assert.True(reply.Code == 200, reply.ToString());
        var read = (await Api.GetAsync($"Patient/{id}")).Json!;
        Assert.Equal("1980-02-03", read["birthDate"]!.GetValue<string>());
        Assert.Equal("fp-1", read["identifier"]![0]!["value"]!.GetValue<string>());
        Assert.Equal("Zoe", read["name"]![0]!["given"]![0]!.GetValue<string>());
        Assert.Equal("Ann", read["name"]![0]!["given"]![1]!.GetValue<string>());
        Assert.Null(read["gender"]);
        Assert.False(read["deceasedBoolean"]!.GetValue<bool>());
        Assert.Single(Ids((await Api.GetAsync("Patient?identifier=urn:test|fp-1")).Json!));

        var bad = """{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.name.given"},{"name":"value","valueString":"X"}]}]}""";
        Assert.Equal(422, (await Api.PatchAsync($"Patient/{id}", bad, "application/fhir+json")).Code);
    }
}
