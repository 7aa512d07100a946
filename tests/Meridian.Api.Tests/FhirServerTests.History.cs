using System.Text.Json.Nodes;

namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    [Fact]
    public async Task Instance_history_is_newest_first_and_pages_completely()
    {
        var id = (await Api.CreateAsync(Patient("H0"))).Id;
        for (var i = 1; i <= 4; i++)
        {
            Assert.Equal(200, (await Api.PutAsync($"Patient/{id}", Patient("H" + i, id: id))).Code);
        }
        var versions = new List<string>();
        var url = $"Patient/{id}/_history?_count=2";
        var pages = 0;
        while (url is not null)
        {
            var page = await Api.GetAsync(url);
            Assert.Equal(200, page.Code);
            Assert.Equal("history", page.Json!["type"]!.GetValue<string>());
            pages++;
            foreach (var e in page.Json!["entry"]?.AsArray() ?? [])
            {
                versions.Add(e!["resource"]!["meta"]!["versionId"]!.GetValue<string>());
            }
            url = NextLink(page.Json!);
        }
        Assert.Equal(["5", "4", "3", "2", "1"], versions);
        Assert.Equal(3, pages);
        Assert.Equal(404, (await Api.GetAsync("Patient/nobody/_history")).Code);
    }

    [Fact]
    public async Task History_since_and_at_select_by_time()
    {
        var id = (await Api.CreateAsync(Patient("T1"))).Id;
        var v1Time = (await Api.GetAsync($"Patient/{id}")).Json!["meta"]!["lastUpdated"]!.GetValue<string>();
        await Task.Delay(20);
        var v2 = await Api.PutAsync($"Patient/{id}", Patient("T2", id: id));
        var v2Time = v2.Json!["meta"]!["lastUpdated"]!.GetValue<string>();

        var since = await Api.GetAsync($"Patient/{id}/_history?_since={Uri.EscapeDataString(v2Time)}");
        var sinceEntries = since.Json!["entry"]!.AsArray();
        Assert.Single(sinceEntries);
        Assert.Equal("2", sinceEntries[0]!["resource"]!["meta"]!["versionId"]!.GetValue<string>());

        var at = await Api.GetAsync($"Patient/{id}/_history?_at={Uri.EscapeDataString(v1Time)}");
        var atEntries = at.Json!["entry"]!.AsArray();
        Assert.Single(atEntries);
        Assert.Equal("1", atEntries[0]!["resource"]!["meta"]!["versionId"]!.GetValue<string>());
        Assert.Equal(400, (await Api.GetAsync($"Patient/{id}/_history?_since=yesterday")).Code);
    }

    [Fact]
    public async Task Type_and_system_history_cover_every_write()
    {
        var p = (await Api.CreateAsync(Patient("Sys"))).Id;
        await Api.CreateAsync(Observation($"Patient/{p}"));
        await Api.DeleteAsync($"Patient/{p}");
        var type = await Api.GetAsync("Patient/_history");
        Assert.Equal(2, type.Json!["entry"]!.AsArray().Count);
        var system = await Api.GetAsync("_history");
        // The tenant's history also holds the AuditEvents of these writes.
        var methods = system.Json!["entry"]!.AsArray().Where(e => !e!["request"]!["url"]!.GetValue<string>().StartsWith("AuditEvent", StringComparison.Ordinal)).Select(e => e!["request"]!["method"]!.GetValue<string>()).ToList();
        Assert.Equal(["DELETE", "POST", "POST"], methods);
    }

    private static string? NextLink(JsonObject bundle) =>
        bundle["link"]?.AsArray().FirstOrDefault(l => l!["relation"]!.GetValue<string>() == "next")?["url"]?.GetValue<string>();
}
