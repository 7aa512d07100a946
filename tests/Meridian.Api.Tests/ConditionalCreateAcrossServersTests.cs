using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Meridian.Server;
using Meridian.Testing;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Api.Tests;

/// <summary>
/// Two Meridian server processes' worth of state (two hosts, two stores, two sets of in-process
/// locks) on ONE database, racing conditional creates over real HTTP: the store-level claim of
/// the normalised If-None-Exist criteria must let exactly one create win.
/// </summary>
public abstract class ConditionalCreateAcrossServersTests(TestServerStore store) : IAsyncLifetime
{
    private readonly List<WebApplication> _apps = [];
    private HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };
    private string[] _roots = [];

    /// <summary>Where the server keeps its data: a throwaway SQLite directory or PostgreSQL database.</summary>
    protected TestServerStore Store { get; } = store;

    public async Task InitializeAsync()
    {
        var roots = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var settings = await Store.SettingsAsync();
            settings["Meridian:Port"] = "0";
            settings["Meridian:InsecureDev"] = "true";
            var app = await MeridianServer.BuildAsync([], settings);
            await app.StartAsync();
            _apps.Add(app);
            roots.Add(MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
        }
        _roots = [.. roots];
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        await Store.DisposeAsync();
    }

    private async Task<(int Status, string? Id)> ConditionalCreateAsync(string fhirBase, string identifier, string ifNoneExist)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{fhirBase}/Patient")
        {
            Content = new StringContent(
                $$$"""{"resourceType":"Patient","identifier":[{"system":"urn:race","value":"{{{identifier}}}"}]}""",
                Encoding.UTF8, "application/fhir+json"),
        };
        request.Headers.Add("If-None-Exist", ifNoneExist);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var id = JsonNode.Parse(text)?["id"]?.GetValue<string>();
        return ((int)response.StatusCode, (int)response.StatusCode is 200 or 201 ? id : null);
    }

    private async Task<List<string>> PatientIdsAsync(string fhirBase, string identifier)
    {
        var text = await Http.GetStringAsync($"{fhirBase}/Patient?identifier=urn:race|{identifier}&_count=100");
        return [.. (JsonNode.Parse(text)!["entry"]?.AsArray() ?? []).Select(e => e!["resource"]!["id"]!.GetValue<string>())];
    }

    [Fact]
    public async Task Racing_conditional_creates_on_two_servers_create_one_resource()
    {
        var tenant = Guid.NewGuid().ToString("N");
        var bases = _roots.Select(r => $"{r}/t/{tenant}/fhir").ToArray();
        for (var round = 0; round < 3; round++)
        {
            var identifier = $"r{round}";
            // Criteria spelled differently on each server normalise to one claim.
            var spellings = new[] { $"identifier=urn:race|{identifier}&active:missing=true", $"active:missing=true&identifier=urn%3Arace%7C{identifier}" };
            var tasks = Enumerable.Range(0, 16).Select(i => ConditionalCreateAsync(bases[i % 2], identifier, spellings[i % 2])).ToArray();
            var results = await Task.WhenAll(tasks);
            Assert.All(results, r => Assert.True(r.Status is 200 or 201, $"status {r.Status}"));
            Assert.Single(results, r => r.Status == 201);
            var ids = results.Select(r => r.Id!).Distinct().ToList();
            Assert.Single(ids);
            Assert.Equal(ids, await PatientIdsAsync(bases[0], identifier));
            Assert.Equal(ids, await PatientIdsAsync(bases[1], identifier));
        }
    }

    [Fact]
    public async Task Racing_transactions_with_conditional_creates_on_two_servers_resolve_to_one_resource()
    {
        var tenant = Guid.NewGuid().ToString("N");
        var bases = _roots.Select(r => $"{r}/t/{tenant}/fhir").ToArray();
        // The Observation refers to the conditionally created Patient by its fullUrl: whichever
        // transaction created the Patient, every Observation must end up pointing at that one.
        const string bundle = """
            {"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:0b8f2a54-0d4e-4f0e-9a57-6d1f6b8e1c11",
             "resource":{"resourceType":"Patient","identifier":[{"system":"urn:race","value":"tx"}]},
             "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:race|tx"}},
             {"fullUrl":"urn:uuid:6a1c9a0e-8d7b-4c1e-9f43-2b5d0c7e4a21",
             "resource":{"resourceType":"Observation","status":"final","code":{"text":"race"},"subject":{"reference":"urn:uuid:0b8f2a54-0d4e-4f0e-9a57-6d1f6b8e1c11"}},
             "request":{"method":"POST","url":"Observation"}}]}
            """;
        var tasks = Enumerable.Range(0, 12).Select(async i =>
        {
            using var response = await Http.PostAsync(bases[i % 2], new StringContent(bundle, Encoding.UTF8, "application/fhir+json"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }).ToArray();
        var replies = await Task.WhenAll(tasks);
        // A transaction that lost the claim after its own search is planned again and finds the
        // winner's Patient: no 409, no duplicate.
        Assert.All(replies, r => Assert.True(r.Item1 == 200, $"status {r.Item1}: {r.Item2}"));
        var patients = await PatientIdsAsync(bases[0], "tx");
        var patient = Assert.Single(patients);
        var observations = JsonNode.Parse(await Http.GetStringAsync($"{bases[1]}/Observation?code:text=race&_count=100"))!["entry"]!.AsArray();
        Assert.Equal(12, observations.Count);
        Assert.All(observations, o => Assert.Equal($"Patient/{patient}", o!["resource"]!["subject"]!["reference"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_claim_whose_holder_was_deleted_or_no_longer_matches_is_taken_over()
    {
        var tenant = Guid.NewGuid().ToString("N");
        var bases = _roots.Select(r => $"{r}/t/{tenant}/fhir").ToArray();
        const string criteria = "identifier=urn:race|stale";
        var first = await ConditionalCreateAsync(bases[0], "stale", criteria);
        Assert.Equal(201, first.Status);
        Assert.Equal(200, (await ConditionalCreateAsync(bases[1], "stale", criteria)).Status);

        using (var delete = await Http.DeleteAsync($"{bases[0]}/Patient/{first.Id}"))
        {
            Assert.True(delete.IsSuccessStatusCode);
        }
        var second = await ConditionalCreateAsync(bases[1], "stale", criteria);
        Assert.Equal(201, second.Status);
        Assert.NotEqual(first.Id, second.Id);

        // The holder changes so that it no longer matches: the next conditional create creates.
        using (var put = await Http.PutAsync($"{bases[0]}/Patient/{second.Id}", new StringContent(
            $$$"""{"resourceType":"Patient","id":"{{{second.Id}}}","identifier":[{"system":"urn:race","value":"changed"}]}""", Encoding.UTF8, "application/fhir+json")))
        {
            Assert.True(put.IsSuccessStatusCode);
        }
        var third = await ConditionalCreateAsync(bases[0], "stale", criteria);
        Assert.Equal(201, third.Status);
        Assert.Equal(200, (await ConditionalCreateAsync(bases[1], "stale", criteria)).Status);
        Assert.Equal([third.Id!], await PatientIdsAsync(bases[1], "stale"));
    }
}

public sealed class SqliteConditionalCreateAcrossServersTests() : ConditionalCreateAcrossServersTests(TestServerStore.Sqlite("meridian-cc-"));

/// <summary>A fresh database on the server named by MERIDIAN_TEST_PG (test.sh starts one with
/// scripts/pg-test-cluster.sh). Missing configuration fails the tests rather than skipping them.</summary>
public sealed class PostgresConditionalCreateAcrossServersTests() : ConditionalCreateAcrossServersTests(TestServerStore.Postgres());
