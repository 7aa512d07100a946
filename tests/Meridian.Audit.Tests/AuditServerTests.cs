using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Meridian.Audit.Tests.Support;

namespace Meridian.Audit.Tests;

/// <summary>Audit over real HTTP, on both stores: every request leaves exactly one AuditEvent,
/// AuditEvents cannot be written through the API, and the chain verifies.</summary>
public abstract class AuditServerTests(AuditServerFixture fixture)
{
    protected AuditServerFixture Fixture { get; } = fixture;

    private HttpClient Http => Fixture.Http;

    private static StringContent Fhir(string json) => new(json, Encoding.UTF8, "application/fhir+json");

    private static string Patient(string family) => $$"""{"resourceType":"Patient","name":[{"family":"{{family}}"}]}""";

    private async Task<string> CreateAsync(string baseUrl, string type, string json)
    {
        using var reply = await Http.PostAsync($"{baseUrl}/{type}", Fhir(json));
        Assert.Equal(HttpStatusCode.Created, reply.StatusCode);
        return JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    }

    private async Task<int> CountAsync(string baseUrl, string query)
    {
        using var reply = await Http.GetAsync($"{baseUrl}/AuditEvent?_summary=count&{query}");
        var text = await reply.Content.ReadAsStringAsync();
        Assert.True(reply.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!["total"]!.GetValue<int>();
    }

    [Fact]
    public async Task Every_request_of_a_32_way_mixed_burst_is_audited_exactly_once()
    {
        var tenant = AuditServerFixture.NewTenant();
        var b = Fixture.Base(tenant);
        var patients = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            patients.Add(await CreateAsync(b, "Patient", Patient("Burst" + i)));
        }
        var requests = patients.Count;
        var errors = 0;

        // 32 concurrent clients, 6 requests each: writes, reads, searches, history and errors.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 32).Select(async c =>
        {
            var p = patients[c % patients.Count];
            var codes = new List<int>();
            async Task Send(HttpRequestMessage m)
            {
                using (m)
                using (var reply = await Http.SendAsync(m))
                {
                    codes.Add((int)reply.StatusCode);
                }
            }
            var obs = $$$"""{"resourceType":"Observation","status":"final","code":{"text":"c{{{c}}}"},"subject":{"reference":"Patient/{{{p}}}"}}""";
            await Send(new HttpRequestMessage(HttpMethod.Post, $"{b}/Observation") { Content = Fhir(obs) });
            await Send(new HttpRequestMessage(HttpMethod.Get, $"{b}/Patient/{p}"));
            await Send(new HttpRequestMessage(HttpMethod.Get, $"{b}/Observation?subject=Patient/{p}"));
            await Send(new HttpRequestMessage(HttpMethod.Get, $"{b}/Patient/missing-{c}"));                                             // 404
            await Send(new HttpRequestMessage(HttpMethod.Post, $"{b}/Patient") { Content = Fhir("""{"resourceType":"Patient","gender":"robot"}""") }); // invalid
            await Send(new HttpRequestMessage(HttpMethod.Get, c % 2 == 0 ? $"{b}/Patient/{p}/_history" : $"{b}/metadata"));
            return codes;
        }));
        foreach (var codes in statuses)
        {
            requests += codes.Count;
            errors += codes.Count(s => s >= 400);
        }
        Assert.Equal(32 * 6 + 4, requests);
        Assert.Equal(32 * 2, errors);

        // The chain holds exactly one record per request, and verifies.
        var (exit, output, err) = await MeridianCommand.Run(["audit", "verify", .. Fixture.StoreArguments, "--tenant", tenant]);
        Assert.True(exit == 0, output + err);
        Assert.Contains($"intact, {requests} records", output, StringComparison.Ordinal);

        // And FHIR search sees them (the counting searches are audited after they answer).
        Assert.Equal(requests, await CountAsync(b, ""));
        Assert.Equal(errors, await CountAsync(b, "outcome=4"));
        Assert.Equal(32 + patients.Count, await CountAsync(b, "action=C&outcome=0"));
    }

    [Fact]
    public async Task A_write_and_its_audit_event_commit_together_and_name_the_version_and_patient()
    {
        var tenant = AuditServerFixture.NewTenant();
        var b = Fixture.Base(tenant);
        var p = await CreateAsync(b, "Patient", Patient("Versioned"));
        using (var put = await Http.PutAsync($"{b}/Patient/{p}", Fhir($$"""{"resourceType":"Patient","id":"{{p}}","name":[{"family":"Changed"}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        using var reply = await Http.GetAsync($"{b}/AuditEvent?patient=Patient/{p}&_sort=date");
        var bundle = JsonNode.Parse(await reply.Content.ReadAsStringAsync())!;
        var events = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).ToList();
        Assert.Equal(["C", "U"], events.Select(e => e["action"]!.GetValue<string>()));
        var whats = events.Select(e => e["entity"]!.AsArray().Select(x => x!["what"]?["reference"]?.GetValue<string>()).ToList()).ToList();
        Assert.Contains($"Patient/{p}/_history/1", whats[0]);
        Assert.Contains($"Patient/{p}/_history/2", whats[1]);
        Assert.All(events, e => Assert.Equal(tenant, e["source"]!["site"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal("insecure-dev", e["agent"]![0]!["who"]!["display"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal("127.0.0.1", e["agent"]![0]!["network"]!["address"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Audit_events_cannot_be_created_updated_patched_or_deleted_through_the_api()
    {
        var tenant = AuditServerFixture.NewTenant();
        var b = Fixture.Base(tenant);
        await CreateAsync(b, "Patient", Patient("Target"));
        using var search = await Http.GetAsync($"{b}/AuditEvent");
        var id = JsonNode.Parse(await search.Content.ReadAsStringAsync())!["entry"]![0]!["resource"]!["id"]!.GetValue<string>();

        var attempts = new List<HttpRequestMessage>
        {
            new(HttpMethod.Post, $"{b}/AuditEvent") { Content = Fhir("""{"resourceType":"AuditEvent"}""") },
            new(HttpMethod.Put, $"{b}/AuditEvent/{id}") { Content = Fhir($$"""{"resourceType":"AuditEvent","id":"{{id}}"}""") },
            new(HttpMethod.Patch, $"{b}/AuditEvent/{id}") { Content = new StringContent("""[{"op":"replace","path":"/outcome","value":"0"}]""", Encoding.UTF8, "application/json-patch+json") },
            new(HttpMethod.Delete, $"{b}/AuditEvent/{id}"),
            new(HttpMethod.Delete, $"{b}/AuditEvent?_id={id}"),
            new(HttpMethod.Post, b) { Content = Fhir($$$"""{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"DELETE","url":"AuditEvent/{{{id}}}"}}]}""") },
            new(HttpMethod.Post, b) { Content = Fhir($$$"""{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"DELETE","url":"{{{b}}}/AuditEvent/{{{id}}}"}}]}""") },
        };
        foreach (var attempt in attempts)
        {
            using (attempt)
            using (var reply = await Http.SendAsync(attempt))
            {
                Assert.Equal(HttpStatusCode.MethodNotAllowed, reply.StatusCode);
            }
        }
        using (var read = await Http.GetAsync($"{b}/AuditEvent/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("1", JsonNode.Parse(await read.Content.ReadAsStringAsync())!["meta"]!["versionId"]!.GetValue<string>());
        }
        Assert.Equal(attempts.Count, await CountAsync(b, "outcome=4"));
    }

    [Fact]
    public async Task A_batch_audits_the_request_and_each_write_entry()
    {
        var tenant = AuditServerFixture.NewTenant();
        var b = Fixture.Base(tenant);
        var batch = """
            {"resourceType":"Bundle","type":"batch","entry":[
              {"resource":{"resourceType":"Patient","name":[{"family":"B1"}]},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Patient","name":[{"family":"B2"}]},"request":{"method":"POST","url":"Patient"}},
              {"request":{"method":"GET","url":"Patient?family=B1"}}]}
            """;
        using (var reply = await Http.PostAsync(b, Fhir(batch)))
        {
            Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        }
        Assert.Equal(3, await CountAsync(b, ""));
        Assert.Equal(2, await CountAsync(b, "subtype=create"));
        Assert.Equal(1, await CountAsync(b, "subtype=batch"));
    }

    [Fact]
    public async Task Requests_refused_before_the_api_are_audited()
    {
        var tenant = AuditServerFixture.NewTenant();
        var b = Fixture.Base(tenant);
        var big = new string('x', 40 * 1024 * 1024);
        using (var reply = await Http.PostAsync($"{b}/Patient", Fhir(big)))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, reply.StatusCode);
        }
        Assert.Equal(1, await CountAsync(b, "outcome=4&action=C"));
    }
}

public sealed class SqliteAuditServerTests(SqliteAuditServerFixture fixture) : AuditServerTests(fixture), IClassFixture<SqliteAuditServerFixture>;

public sealed class PostgresAuditServerTests(PostgresAuditServerFixture fixture) : AuditServerTests(fixture), IClassFixture<PostgresAuditServerFixture>;
