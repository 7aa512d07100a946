using System.Text.Json.Nodes;

namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task Compartment_search_finds_members_of_one_type_and_of_all_types()
    {
        var p = (await Api.CreateAsync(Patient("Comp"))).Id;
        var other = (await Api.CreateAsync(Patient("Other"))).Id;
        var pr = (await Api.CreateAsync("""{"resourceType":"Practitioner","name":[{"family":"Doc"}]}""")).Id;
        var enc = (await Api.CreateAsync($$$"""{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/{{{p}}}"}}""")).Id;
        var o1 = (await Api.CreateAsync(Observation($"Patient/{p}", "1111-1"))).Id;
        var o2 = (await Api.CreateAsync(Observation($"Patient/{p}", "2222-2"))).Id;
        await Api.CreateAsync(Observation($"Patient/{other}"));
        var byDoc = (await Api.CreateAsync($$$"""
            {"resourceType":"Observation","status":"final","code":{"text":"x"},"performer":[{"reference":"Practitioner/{{{pr}}}"}],"encounter":{"reference":"Encounter/{{{enc}}}"}}
            """)).Id;

        var obs = await Api.GetAsync($"Patient/{p}/Observation");
        Assert.Equal(200, obs.Code);
        Assert.Equal(new[] { o1, o2 }.Order(), Ids(obs.Json!).Order());
        Assert.Equal(2, obs.Json!["total"]!.GetValue<int>());
        Assert.Equal($"{Api.Base}/Patient/{p}/Observation", SelfLink(obs.Json!));

        Assert.Equal([o2], Ids((await Api.GetAsync($"Patient/{p}/Observation?code=http://loinc.org|2222-2")).Json!));
        var post = await Api.SendAsync(HttpMethod.Post, $"Patient/{p}/Observation/_search", "code=1111-1", "application/x-www-form-urlencoded");
        Assert.Equal(200, post.Code);
        Assert.Equal([o1], Ids(post.Json!));

        var all = await Api.GetAsync($"Patient/{p}/*");
        Assert.Equal(200, all.Code);
        Assert.Equal(new[] { p, enc, o1, o2 }.Order(), Ids(all.Json!).Order());
        var allEncounters = await Api.GetAsync($"Patient/{p}/*?_type=Encounter");
        Assert.Equal([enc], Ids(allEncounters.Json!));

        Assert.Equal([byDoc], Ids((await Api.GetAsync($"Practitioner/{pr}/Observation")).Json!));
        // The compartment's own resource is a member of it.
        Assert.Equal(new[] { enc, byDoc }.Order(), Ids((await Api.GetAsync($"Encounter/{enc}/*")).Json!).Order());
        Assert.Empty(Ids((await Api.GetAsync("Patient/nobody/Observation")).Json!));

        Assert.Equal(404, (await Api.GetAsync($"Patient/{p}/Organization")).Code);
        Assert.Equal(404, (await Api.GetAsync($"Observation/{o1}/Patient")).Code);
        Assert.Equal(404, (await Api.GetAsync($"Patient/{p}/Nonsense")).Code);
        Assert.Equal(405, (await Api.SendAsync(HttpMethod.Delete, $"Patient/{p}/Observation", null, null)).Code);
    }

    [Fact]
    public async Task Bundle_total_is_given_when_known_and_honours_the_total_parameter()
    {
        for (var i = 0; i < 4; i++)
        {
            await Api.CreateAsync(Patient("Total"));
        }
        // Everything on the first page: the total is known without counting.
        Assert.Equal(4, (await Api.GetAsync("Patient?family=Total")).Json!["total"]!.GetValue<int>());
        Assert.Equal(0, (await Api.GetAsync("Patient?family=Nobody")).Json!["total"]!.GetValue<int>());
        // Paged: left out by default, counted when asked.
        var paged = await Api.GetAsync("Patient?family=Total&_count=3");
        Assert.Null(paged.Json!["total"]);
        Assert.Equal(4, (await Api.GetAsync("Patient?family=Total&_count=3&_total=accurate")).Json!["total"]!.GetValue<int>());
        Assert.Equal(4, (await Api.GetAsync("Patient?family=Total&_count=3&_total=estimate")).Json!["total"]!.GetValue<int>());
        Assert.Null((await Api.GetAsync("Patient?family=Total&_total=none")).Json!["total"]);
        var second = await Api.GetAsync(NextLink(paged.Json!)!);
        Assert.Null(second.Json!["total"]);
        Assert.Equal(400, (await Api.GetAsync("Patient?_total=maybe", ("Prefer", "handling=strict"))).Code);
    }

    [Fact]
    public async Task Elements_select_root_names_per_type_and_keep_mandatory_elements()
    {
        var p = (await Api.CreateAsync(Patient("Elem"))).Id;
        await Api.CreateAsync(Observation($"Patient/{p}"));

        // Type-qualified names apply to that type only; mandatory elements (Observation.status,
        // Observation.code) are kept; the result is tagged SUBSETTED.
        var reply = await Api.GetAsync($"Observation?subject=Patient/{p}&_include=Observation:subject&_elements=Observation.subject,Patient.gender");
        Assert.Equal(200, reply.Code);
        var entries = reply.Json!["entry"]!.AsArray().Select(e => e!["resource"]!.AsObject()).ToList();
        var obs = entries.Single(r => r["resourceType"]!.GetValue<string>() == "Observation");
        Assert.NotNull(obs["subject"]);
        Assert.NotNull(obs["status"]);
        Assert.NotNull(obs["code"]);
        Assert.Null(obs["valueQuantity"]);
        Assert.Null(obs["gender"]);
        Assert.Contains(obs["meta"]!["tag"]!.AsArray(), t => t!["code"]!.GetValue<string>() == "SUBSETTED");
        var patient = entries.Single(r => r["resourceType"]!.GetValue<string>() == "Patient");
        Assert.NotNull(patient["gender"]);
        Assert.Null(patient["name"]);

        // A plain name applies to every type; a type named by nobody comes back whole.
        var whole = await Api.GetAsync($"Patient/{p}?_elements=Observation.status");
        Assert.NotNull(whole.Json!["name"]);
        Assert.Null(whole.Json!["meta"]!["tag"]);
        var plain = await Api.GetAsync($"Patient/{p}?_elements=birthDate");
        Assert.NotNull(plain.Json!["birthDate"]);
        Assert.Null(plain.Json!["name"]);

        // Deeper paths are not R4 _elements.
        Assert.Equal(400, (await Api.GetAsync($"Patient/{p}?_elements=name.family")).Code);
        Assert.Equal(400, (await Api.GetAsync("Patient?_elements=Patient.name.family")).Code);
    }

    private static string SelfLink(JsonObject bundle) =>
        bundle["link"]!.AsArray().First(l => l!["relation"]!.GetValue<string>() == "self")!["url"]!.GetValue<string>();
}
