using System.Text;
using System.Text.Json.Nodes;
using Meridian.Storage.Sqlite;

namespace Meridian.Api.Tests;

/// <summary>
/// The interaction layer without HTTP, as HL7 and device pipelines use it: FhirRequest in,
/// FhirResponse out, over a real SQLite store.
/// </summary>
public sealed class InProcessApiTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-inproc-").FullName;
    private Meridian.Storage.IFhirStore? _store;
    private FhirApi? _api;

    /// <summary>An HL7 v2 or device pipeline enters with its own system identity.</summary>
    private static readonly Caller s_pipeline = Caller.System("inproc-tests", "system/*.cruds");

    public async Task InitializeAsync()
    {
        _store = new SqliteFhirStore(Path.Combine(_dir, "m.db"));
        await _store.MigrateAsync();
        _api = new FhirApi(_store);
    }

    public async Task DisposeAsync()
    {
        if (_store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Create_then_read_in_a_named_tenant_without_a_web_host()
    {
        var create = await _api!.HandleAsync(new FhirRequest("POST", "Patient")
        {
            Caller = s_pipeline,
            Tenant = "hl7-feed",
            BaseUrl = "urn:meridian",
            Body = Encoding.UTF8.GetBytes("""{"resourceType":"Patient","gender":"other"}"""),
        });
        Assert.Equal(201, create.Status);
        var id = JsonNode.Parse(create.Body.Span)!["id"]!.GetValue<string>();
        Assert.Equal($"urn:meridian/Patient/{id}/_history/1", create.Location);

        var read = await _api.HandleAsync(new FhirRequest("GET", $"Patient/{id}") { Caller = s_pipeline, Tenant = "hl7-feed" });
        Assert.Equal(200, read.Status);
        Assert.Equal("W/\"1\"", read.ETag);
        var otherTenant = await _api.HandleAsync(new FhirRequest("GET", $"Patient/{id}") { Caller = s_pipeline });
        Assert.Equal(404, otherTenant.Status);
        Assert.False(otherTenant.Issues.IsEmpty);
    }

    [Fact]
    public async Task Invalid_input_comes_back_as_issues_not_exceptions()
    {
        var response = await _api!.HandleAsync(new FhirRequest("POST", "Observation") { Caller = s_pipeline, Body = Encoding.UTF8.GetBytes("""{"resourceType":"Observation"}""") });
        Assert.Equal(422, response.Status);
        Assert.Contains(response.Issues, i => i.IsError);
    }

    [Fact]
    public async Task Page_sizes_follow_the_options()
    {
        var api = new FhirApi(_store!, options: new FhirApiOptions { DefaultPageSize = 2, MaxPageSize = 3 });
        for (var i = 0; i < 5; i++)
        {
            var created = await api.HandleAsync(new FhirRequest("POST", "Patient") { Caller = s_pipeline, Tenant = "paging", Body = Encoding.UTF8.GetBytes("""{"resourceType":"Patient"}""") });
            Assert.Equal(201, created.Status);
        }
        static int Entries(FhirResponse r) => JsonNode.Parse(r.Body.Span)!["entry"]!.AsArray().Count(e => e!["search"]!["mode"]!.GetValue<string>() == "match");
        var byDefault = await api.HandleAsync(new FhirRequest("GET", "Patient") { Caller = s_pipeline, Tenant = "paging" });
        Assert.Equal(2, Entries(byDefault));
        var clamped = await api.HandleAsync(new FhirRequest("GET", "Patient") { Caller = s_pipeline, Tenant = "paging", Query = [new("_count", "100")] });
        Assert.Equal(3, Entries(clamped));
    }
}
