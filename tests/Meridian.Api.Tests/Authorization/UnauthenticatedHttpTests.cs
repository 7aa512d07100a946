using System.Net;
using System.Text;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Api.Tests.Authorization;

/// <summary>
/// Over real HTTP, without <c>--insecure-dev</c> and with no authentication in front: every FHIR
/// endpoint of both the default and a named tenant answers 401 with an OperationOutcome and no
/// data; only the CapabilityStatement is open.
/// </summary>
public sealed class UnauthenticatedHttpTests : IAsyncLifetime, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-authz-http-").FullName;
    private WebApplication? _app;
    private string _root = "";
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _app = await MeridianServer.BuildAsync([], new Dictionary<string, string?>
        {
            ["Meridian:Port"] = "0",
            ["Meridian:Store"] = "sqlite",
            ["Meridian:Data"] = _dir,
        });
        await _app.StartAsync();
        _root = MeridianServer.Addresses(_app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
    }

    public void Dispose() => _http.Dispose();

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    public static TheoryData<string, string> Endpoints() => new()
    {
        { "GET", "" }, { "POST", "" }, { "GET", "_history" }, { "POST", "_search" },
        { "GET", "Patient" }, { "POST", "Patient" }, { "PUT", "Patient?identifier=x" }, { "DELETE", "Patient?identifier=x" }, { "PATCH", "Patient?identifier=x" },
        { "POST", "Patient/_search" }, { "GET", "Patient/_history" }, { "POST", "Patient/$validate" },
        { "GET", "Patient/1" }, { "PUT", "Patient/1" }, { "PATCH", "Patient/1" }, { "DELETE", "Patient/1" },
        { "GET", "Patient/1/_history" }, { "GET", "Patient/1/_history/1" }, { "GET", "Patient/1/$everything" }, { "POST", "Patient/1/$validate" },
        { "GET", "AuditEvent" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Every_endpoint_needs_authentication(string method, string path)
    {
        foreach (var fhirBase in new[] { $"{_root}/fhir", $"{_root}/t/acme/fhir" })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path.Length == 0 ? fhirBase : $"{fhirBase}/{path}");
            if (method is "POST" or "PUT" or "PATCH")
            {
                request.Content = new StringContent("""{"resourceType":"Patient","id":"1"}""", Encoding.UTF8, "application/fhir+json");
            }
            request.Headers.Add(Meridian.Api.Authorization.BreakGlass.Header, "breaking the glass without a token");
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {fhirBase}/{path}: {(int)response.StatusCode} {body}");
            Assert.Contains("OperationOutcome", body, StringComparison.Ordinal);
            Assert.False(response.Headers.Contains(Meridian.Api.Authorization.BreakGlass.Header));
        }
    }

    [Fact]
    public async Task The_capability_statement_is_open()
    {
        using var response = await _http.GetAsync(new Uri($"{_root}/fhir/metadata"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("CapabilityStatement", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
