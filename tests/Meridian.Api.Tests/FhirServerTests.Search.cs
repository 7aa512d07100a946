using System.Text.Json.Nodes;

namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task Search_by_string_token_and_reference_returns_a_searchset()
    {
        var smith = (await Api.CreateAsync(Patient("Smith", identifier: "s-1"))).Id;
        await Api.CreateAsync(Patient("Jones", identifier: "s-2", gender: "male"));
        await Api.CreateAsync(Observation($"Patient/{smith}"));

        var byName = await Api.GetAsync("Patient?family=smi");
        Assert.Equal("searchset", byName.Json!["type"]!.GetValue<string>());
        Assert.Equal([smith], Ids(byName.Json!));
        Assert.Equal("match", byName.Json!["entry"]![0]!["search"]!["mode"]!.GetValue<string>());
        Assert.Equal($"{Api.Base}/Patient/{smith}", byName.Json!["entry"]![0]!["fullUrl"]!.GetValue<string>());
        Assert.Equal([smith], Ids((await Api.GetAsync("Patient?identifier=urn:test|s-1")).Json!));
        Assert.Single(Ids((await Api.GetAsync("Patient?gender=male")).Json!));
        Assert.Single(Ids((await Api.GetAsync($"Observation?subject=Patient/{smith}")).Json!));
        Assert.Empty(Ids((await Api.GetAsync("Observation?subject=Patient/other")).Json!));
        Assert.Equal(2, Ids((await Api.GetAsync("Patient?_total=accurate")).Json!).Count);
    }

    [Fact]
    public async Task Post_search_and_system_search_match_get()
    {
        var id = (await Api.CreateAsync(Patient("Form"))).Id;
        await Api.CreateAsync(Observation($"Patient/{id}"));
        var post = await Api.SendAsync(HttpMethod.Post, "Patient/_search", "family=Form", "application/x-www-form-urlencoded");
        Assert.Equal(200, post.Code);
        Assert.Equal([id], Ids(post.Json!));

        var system = await Api.GetAsync("?_type=Patient,Observation");
        Assert.Equal(2, Ids(system.Json!).Count);
        var systemPost = await Api.SendAsync(HttpMethod.Post, "_search", "_type=Observation", "application/x-www-form-urlencoded");
        Assert.Single(Ids(systemPost.Json!));
    }

    [Fact]
    public async Task Search_pages_follow_next_links_without_loss_or_repeats()
    {
        var created = new HashSet<string>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await Api.CreateAsync(Patient("Page"))).Id);
        }
        var seen = new List<string>();
        string? url = "Patient?family=Page&_count=3";
        var pages = 0;
        while (url is not null)
        {
            var page = await Api.GetAsync(url);
            Assert.Equal(200, page.Code);
            pages++;
            seen.AddRange(Ids(page.Json!));
            var self = page.Json!["link"]!.AsArray().First(l => l!["relation"]!.GetValue<string>() == "self")!["url"]!.GetValue<string>();
            Assert.StartsWith($"{Api.Base}/Patient?", self, StringComparison.Ordinal);
            url = NextLink(page.Json!);
        }
        Assert.Equal(3, pages);
        Assert.Equal(created.Order(), seen.Order());
        // The default page size applies without _count.
        Assert.Equal(7, Ids((await Api.GetAsync("Patient")).Json!).Count);
    }

    [Fact]
    public async Task Summary_and_elements_shape_the_output()
    {
        for (var i = 0; i < 3; i++)
        {
            await Api.CreateAsync(Patient("Shape"));
        }
        var count = await Api.GetAsync("Patient?_summary=count");
        Assert.Equal(3, count.Json!["total"]!.GetValue<int>());
        Assert.Null(count.Json!["entry"]);

        var elements = await Api.GetAsync("Patient?_elements=gender");
        var first = elements.Json!["entry"]![0]!["resource"]!.AsObject();
        Assert.NotNull(first["gender"]);
        Assert.NotNull(first["id"]);
        Assert.Null(first["name"]);
        Assert.Null(first["birthDate"]);
        Assert.Contains(first["meta"]!["tag"]!.AsArray(), t => t!["code"]!.GetValue<string>() == "SUBSETTED");

        var summary = await Api.GetAsync($"Patient/{first["id"]!.GetValue<string>()}?_summary=true");
        Assert.NotNull(summary.Json!["name"]);
        Assert.NotNull(summary.Json!["birthDate"]);

        // Below the top level too: HumanName.family is a summary element, its extension is not;
        // Patient.contact (not summary) goes, Patient.link (summary) stays.
        var nested = await Api.CreateAsync("""
            {"resourceType":"Patient","name":[{"extension":[{"url":"http://example.org/x","valueString":"y"}],"family":"Deep"}],
             "contact":[{"name":{"family":"Mum"}}],"link":[{"other":{"reference":"Patient/x"},"type":"seealso"}]}
            """);
        var deep = (await Api.GetAsync($"Patient/{nested.Id}?_summary=true")).Json!;
        Assert.Equal("Deep", deep["name"]![0]!["family"]!.GetValue<string>());
        Assert.Null(deep["name"]![0]!["extension"]);
        Assert.Null(deep["contact"]);
        Assert.Equal("seealso", deep["link"]![0]!["type"]!.GetValue<string>());
        var withText = await Api.CreateAsync("{\"resourceType\":\"Patient\",\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">x</div>\"},\"gender\":\"male\"}");
        var data = await Api.GetAsync($"Patient/{withText.Id}?_summary=data");
        Assert.Null(data.Json!["text"]);
        Assert.NotNull(data.Json!["gender"]);
        var text = await Api.GetAsync($"Patient/{withText.Id}?_summary=text");
        Assert.NotNull(text.Json!["text"]);
        Assert.Null(text.Json!["gender"]);
    }

    [Fact]
    public async Task Unknown_parameters_are_reported_when_lenient_and_refused_when_strict()
    {
        await Api.CreateAsync(Patient("Lenient"));
        var lenient = await Api.GetAsync("Patient?colour=blue");
        Assert.Equal(200, lenient.Code);
        var outcome = lenient.Json!["entry"]!.AsArray().Single(e => e!["search"]!["mode"]!.GetValue<string>() == "outcome");
        Assert.Equal("OperationOutcome", outcome!["resource"]!["resourceType"]!.GetValue<string>());
        Assert.Single(Ids(lenient.Json!));

        var strict = await Api.GetAsync("Patient?colour=blue", ("Prefer", "handling=strict"));
        Assert.Equal(400, strict.Code);
        Assert.Equal("OperationOutcome", strict.Json!["resourceType"]!.GetValue<string>());
    }

    /// <summary>Ids of the match entries of a searchset.</summary>
    private static List<string> Ids(JsonObject bundle) =>
        [.. (bundle["entry"]?.AsArray() ?? [])
            .Where(e => e!["search"]?["mode"]?.GetValue<string>() == "match")
            .Select(e => e!["resource"]!["id"]!.GetValue<string>())];
}
