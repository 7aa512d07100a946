namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task The_plain_fhir_base_is_the_default_tenant_and_tenants_are_isolated()
    {
        var plain = new Support.FhirClient(Fixture.Http, Fixture.Root + "/fhir");
        var created = await plain.CreateAsync(Patient("Default"));
        Assert.StartsWith(Fixture.Root + "/fhir/Patient/", created.Location, StringComparison.Ordinal);
        var viaTenantRoute = new Support.FhirClient(Fixture.Http, Fixture.Root + "/t/default/fhir");
        Assert.Equal(200, (await viaTenantRoute.GetAsync($"Patient/{created.Id}")).Code);
        Assert.Equal(404, (await Api.GetAsync($"Patient/{created.Id}")).Code);
        using var badTenant = await Fixture.Http.GetAsync(Fixture.Root + "/t/bad%20name/fhir/metadata");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, badTenant.StatusCode);
    }

    [Fact]
    public async Task Includes_come_back_with_search_mode_include()
    {
        var p = (await Api.CreateAsync(Patient("Inc"))).Id;
        await Api.CreateAsync(Observation($"Patient/{p}"));
        var reply = await Api.GetAsync("Observation?_include=Observation:subject");
        Assert.Equal(200, reply.Code);
        var modes = reply.Json!["entry"]!.AsArray().Select(e => e!["search"]!["mode"]!.GetValue<string>() + ":" + e!["resource"]!["resourceType"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["include:Patient", "match:Observation"], modes);
    }

    [Fact]
    public async Task Json_patch_move_and_copy_and_fhirpath_move()
    {
        var id = (await Api.CreateAsync("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"A\"},{\"family\":\"B\"}]}")).Id;
        var json = await Api.PatchAsync($"Patient/{id}", """[{"op":"copy","from":"/name/0","path":"/name/-"},{"op":"move","from":"/name/1","path":"/name/0"}]""", JsonPatchType);
        Assert.Equal(200, json.Code);
        Assert.Equal(["B", "A", "A"], json.Json!["name"]!.AsArray().Select(n => n!["family"]!.GetValue<string>()));
        var move = """{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"move"},{"name":"path","valueString":"Patient.name"},{"name":"source","valueInteger":0},{"name":"destination","valueInteger":2}]}]}""";
        var fp = await Api.PatchAsync($"Patient/{id}", move, "application/fhir+json");
        Assert.Equal(200, fp.Code);
        Assert.Equal(["A", "A", "B"], fp.Json!["name"]!.AsArray().Select(n => n!["family"]!.GetValue<string>()));
    }
}
