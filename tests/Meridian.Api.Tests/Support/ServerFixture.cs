using System.Net.Http.Headers;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Api.Tests.Support;

/// <summary>
/// A real Meridian server on 127.0.0.1 (Kestrel on a free port, in process) over one store,
/// shared by a test class. Tests isolate themselves by tenant (<c>/t/{tenant}/fhir</c>), which
/// also exercises tenant scoping end to end.
/// </summary>
public abstract class ServerFixture(TestServerStore store) : IAsyncLifetime
{
    private WebApplication? _app;

    public string Root { get; private set; } = "";

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>Where the server keeps its data: a throwaway SQLite directory or PostgreSQL database.</summary>
    protected TestServerStore Store { get; } = store;

    /// <summary>Settings every fixture uses; tests of limits rely on the small body limit.</summary>
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    public async Task InitializeAsync()
    {
        var settings = await Store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:InsecureDev"] = "true"; // these tests are about FHIR behaviour; auth has its own tests
        settings["Meridian:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Meridian:Api:DefaultPageSize"] = "10";
        settings["Meridian:Api:MaxConditionalDeletes"] = "3";
        _app = await MeridianServer.BuildAsync([], settings);
        await _app.StartAsync();
        Root = MeridianServer.Addresses(_app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
    }

    /// <summary>The FHIR base of a fresh tenant.</summary>
    public string NewTenantBase() => $"{Root}/t/{Guid.NewGuid():N}/fhir";

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await Store.DisposeAsync();
    }
}

public sealed class SqliteServerFixture() : ServerFixture(TestServerStore.Sqlite("meridian-api-"));

/// <summary>A fresh database on the server named by MERIDIAN_TEST_PG (test.sh starts one with
/// scripts/pg-test-cluster.sh). Missing configuration fails the tests rather than skipping them.</summary>
public sealed class PostgresServerFixture() : ServerFixture(TestServerStore.Postgres());
