namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task Conditional_create_returns_the_existing_match_instead_of_a_duplicate()
    {
        var first = await Api.PostAsync("Patient", Patient("Once", identifier: "c-1"), ("If-None-Exist", "identifier=urn:test|c-1"));
        Assert.Equal(201, first.Code);
        var second = await Api.PostAsync("Patient", Patient("Twice", identifier: "c-1"), ("If-None-Exist", "identifier=urn:test|c-1"));
        Assert.Equal(200, second.Code);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal("Once", second.Json!["name"]![0]!["family"]!.GetValue<string>());
        Assert.Equal(1, await CountAsync("Patient"));

        await Api.CreateAsync(Patient("Dup", identifier: "c-1"));
        var ambiguous = await Api.PostAsync("Patient", Patient("Third", identifier: "c-1"), ("If-None-Exist", "identifier=urn:test|c-1"));
        Assert.Equal(412, ambiguous.Code);
        Assert.Equal(400, (await Api.PostAsync("Patient", Patient("X"), ("If-None-Exist", "nonsense-param=1"))).Code);
    }

    [Fact]
    public async Task Conditional_update_creates_updates_or_refuses_by_match_count()
    {
        var created = await Api.PutAsync("Patient?identifier=urn:test|u-1", Patient("New", identifier: "u-1"));
        Assert.Equal(201, created.Code);
        var updated = await Api.PutAsync("Patient?identifier=urn:test|u-1", Patient("Newer", identifier: "u-1"));
        Assert.Equal(200, updated.Code);
        Assert.Equal(created.Id, updated.Id);
        Assert.Equal("W/\"2\"", updated.ETag);

        await Api.CreateAsync(Patient("Other", identifier: "u-2"));
        await Api.CreateAsync(Patient("Other", identifier: "u-2"));
        Assert.Equal(412, (await Api.PutAsync("Patient?identifier=urn:test|u-2", Patient("Which", identifier: "u-2"))).Code);
    }

    [Fact]
    public async Task Conditional_delete_removes_matches_up_to_the_limit()
    {
        var id = (await Api.CreateAsync(Patient("Del", identifier: "d-1"))).Id;
        Assert.Equal(204, (await Api.DeleteAsync("Patient?identifier=urn:test|d-1")).Code);
        Assert.Equal(410, (await Api.GetAsync($"Patient/{id}")).Code);
        Assert.Equal(204, (await Api.DeleteAsync("Patient?identifier=urn:test|nothing")).Code);

        for (var i = 0; i < 4; i++)
        {
            await Api.CreateAsync(Patient("Many", identifier: "d-many"));
        }
        Assert.Equal(412, (await Api.DeleteAsync("Patient?identifier=urn:test|d-many")).Code);
        Assert.Equal(4, await CountAsync("Patient", "identifier=urn:test|d-many"));

        for (var i = 0; i < 2; i++)
        {
            await Api.CreateAsync(Patient("Few", identifier: "d-few"));
        }
        Assert.Equal(204, (await Api.DeleteAsync("Patient?identifier=urn:test|d-few")).Code);
        Assert.Equal(0, await CountAsync("Patient", "identifier=urn:test|d-few"));
    }

    [Fact]
    public async Task Conditional_patch_patches_the_single_match()
    {
        var id = (await Api.CreateAsync(Patient("Cp", identifier: "p-1"))).Id;
        var patch = """[{"op":"replace","path":"/gender","value":"male"}]""";
        var reply = await Api.PatchAsync("Patient?identifier=urn:test|p-1", patch, JsonPatchType);
        Assert.Equal(200, reply.Code);
        Assert.Equal(id, reply.Id);
        Assert.Equal("male", reply.Json!["gender"]!.GetValue<string>());
        Assert.Equal(404, (await Api.PatchAsync("Patient?identifier=urn:test|none", patch, JsonPatchType)).Code);
        await Api.CreateAsync(Patient("Cp2", identifier: "p-1"));
        Assert.Equal(412, (await Api.PatchAsync("Patient?identifier=urn:test|p-1", patch, JsonPatchType)).Code);
    }

    [Fact]
    public async Task Racing_conditional_creates_create_once()
    {
        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
            Api.PostAsync("Patient", Patient("Race", identifier: "race-1"), ("If-None-Exist", "identifier=urn:test|race-1")))));
        Assert.Single(replies, r => r.Code == 201);
        Assert.All(replies, r => Assert.True(r.Code is 200 or 201, r.ToString()));
        Assert.Single(replies.Select(r => r.Id).Distinct());
        Assert.Equal(1, await CountAsync("Patient"));
    }
}
