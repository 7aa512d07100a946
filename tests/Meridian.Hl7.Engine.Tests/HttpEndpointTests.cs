using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Meridian.Hl7.Engine.Tests.Support;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>The HTTP endpoint (<c>POST /hl7/v2</c>) and the operator endpoints on a real server over HTTP on 127.0.0.1.</summary>
public sealed class HttpEndpointTests
{
    private static async Task<(WebApplication App, string Root)> StartAsync(string data, bool insecureDev)
    {
        var app = await MeridianServer.BuildAsync([], new Dictionary<string, string?>
        {
            ["Meridian:Port"] = "0",
            ["Meridian:Data"] = data,
            ["Meridian:InsecureDev"] = insecureDev ? "true" : "false",
            ["Meridian:Hl7:Senders:LAB:ClientId"] = "lab-feed",
            // Held in the inbox (no mapping) so the counts below are the endpoint's alone.
            ["Meridian:Hl7:Process"] = "false",
        });
        await app.StartAsync();
        return (app, MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
    }

    private static HttpContent Er7(string message)
    {
        var content = new ByteArrayContent(TestMessages.Bytes(message));
        content.Headers.ContentType = new MediaTypeHeaderValue("x-application/hl7-v2+er7");
        return content;
    }

    [Fact]
    public async Task A_posted_message_is_answered_with_its_ACK_and_operators_can_list_and_replay_errors()
    {
        var data = Directory.CreateTempSubdirectory("meridian-hl7-http-").FullName;
        var (app, root) = await StartAsync(data, insecureDev: true);
        await using (app)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            using var ok = await http.PostAsync($"{root}/hl7/v2", Er7(TestMessages.Oru("H1", "P1", app: "LAB")));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("x-application/hl7-v2+er7", ok.Content.Headers.ContentType!.MediaType);
            var ack = await ok.Content.ReadAsByteArrayAsync();
            Assert.Equal(("AA", "H1"), (TestMessages.AckCode(ack), TestMessages.Field(ack, "MSA", 2)));

            using var bad = await http.PostAsync($"{root}/hl7/v2", Er7("not hl7 at all"));
            Assert.Equal("AE", TestMessages.AckCode(await bad.Content.ReadAsByteArrayAsync()));

            using var inbox = JsonDocument.Parse(await http.GetStringAsync($"{root}/hl7/v2/inbox"));
            Assert.Equal(1, inbox.RootElement.GetProperty("received").GetInt64());
            Assert.Equal(1, inbox.RootElement.GetProperty("errors-open").GetInt64());

            using var errors = JsonDocument.Parse(await http.GetStringAsync($"{root}/hl7/v2/errors?q=MSH"));
            var error = Assert.Single(errors.RootElement.EnumerateArray().ToList());
            var id = error.GetProperty("id").GetInt64();
            Assert.Equal("receive", error.GetProperty("stage").GetString());
            using var one = JsonDocument.Parse(await http.GetStringAsync($"{root}/hl7/v2/errors/{id}"));
            Assert.Equal("not hl7 at all", one.RootElement.GetProperty("raw").GetString());

            using var replay = await http.PostAsync($"{root}/hl7/v2/errors/{id}/replay", null);
            Assert.Equal(HttpStatusCode.Conflict, replay.StatusCode); // still not HL7: refused again, as a new entry
            using var after = JsonDocument.Parse(await http.GetStringAsync($"{root}/hl7/v2/errors?status=all"));
            Assert.Equal(["replayed", "open"], after.RootElement.EnumerateArray().Select(e => e.GetProperty("status").GetString()!));
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task Without_a_token_the_endpoints_answer_401_and_store_nothing()
    {
        var data = Directory.CreateTempSubdirectory("meridian-hl7-http-").FullName;
        var (app, root) = await StartAsync(data, insecureDev: false);
        await using (app)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            using var post = await http.PostAsync($"{root}/hl7/v2", Er7(TestMessages.Oru("H2", "P1", app: "LAB")));
            Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
            using var list = await http.GetAsync($"{root}/hl7/v2/errors");
            Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
            using var replay = await http.PostAsync($"{root}/hl7/v2/errors/1/replay", null);
            Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
            var host = (Server.Hl7.Hl7EngineHost)app.Services.GetService(typeof(Server.Hl7.Hl7EngineHost))!;
            Assert.Empty(await host.Engine.Inbox.PendingAsync(0, 10));
            await app.StopAsync();
        }
    }
}
