using System.Text.Json.Nodes;

namespace Meridian.Api.Tests;

public abstract partial class FhirServerTests
{
    /// <summary>
    /// 50 clients each add their own marker to one resource, each with read → modify → PUT
    /// If-Match, retrying on 412. No write may be lost (every marker ends up in the resource),
    /// and history must hold versions 1..51 with no gap or duplicate.
    /// </summary>
    [Fact]
    public async Task Fifty_parallel_if_match_updaters_lose_no_write_and_leave_gap_free_history()
    {
        const int clients = 50;
        var id = (await Api.CreateAsync(Patient("Contended"))).Id;
        var conflicts = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (var attempt = 0; attempt < 500; attempt++)
            {
                var current = await Api.GetAsync($"Patient/{id}");
                Assert.Equal(200, current.Code);
                var json = current.Json!;
                var identifiers = json["identifier"] as JsonArray ?? [];
                json["identifier"] = identifiers;
                identifiers.Add(new JsonObject { ["system"] = "urn:client", ["value"] = $"c{client}" });
                var put = await Api.PutAsync($"Patient/{id}", json.ToJsonString(), ("If-Match", current.ETag!));
                if (put.Code == 200)
                {
                    return;
                }
                Assert.True(put.Code == 412, put.ToString());
                Interlocked.Increment(ref conflicts);
            }
            Assert.Fail($"client {client} never got its write in");
        })));

        var final = (await Api.GetAsync($"Patient/{id}")).Json!;
        Assert.Equal($"{clients + 1}", final["meta"]!["versionId"]!.GetValue<string>());
        var markers = final["identifier"]!.AsArray().Select(i => i!["value"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(Enumerable.Range(0, clients).Select(c => $"c{c}").Order().ToList(), markers);

        var versions = new List<int>();
        string? url = $"Patient/{id}/_history?_count=20";
        while (url is not null)
        {
            var page = await Api.GetAsync(url);
            versions.AddRange(page.Json!["entry"]!.AsArray().Select(e => int.Parse(e!["resource"]!["meta"]!["versionId"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)));
            url = NextLink(page.Json!);
        }
        Assert.Equal(Enumerable.Range(1, clients + 1).Reverse().ToList(), versions);
        Assert.True(conflicts > 0, "the clients never collided, so the test proved nothing");
    }
}
