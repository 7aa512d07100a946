using System.Net.Http.Headers;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Npgsql;

namespace Meridian.Api.Tests.Support;

/// <summary>
/// A real Meridian server on 127.0.0.1 (Kestrel on a free port, in process) over one store,
/// shared by a test class. Tests isolate themselves by tenant (<c>/t/{tenant}/fhir</c>), which
/// also exercises tenant scoping end to end.
/// </summary>
public abstract class ServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public string Root { get; private set; } = "";

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };

    protected abstract Task<Dictionary<string, string?>> StoreSettingsAsync();

    protected virtual Task DestroyAsync() => Task.CompletedTask;

    /// <summary>Settings every fixture uses; tests of limits rely on the small body limit.</summary>
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    public async Task InitializeAsync()
    {
        var settings = await StoreSettingsAsync();
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
        await DestroyAsync();
    }
}

public sealed class SqliteServerFixture : ServerFixture
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-api-").FullName;

    protected override Task<Dictionary<string, string?>> StoreSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Meridian:Store"] = "sqlite", ["Meridian:Data"] = _dir });

    protected override Task DestroyAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>A fresh database on the server named by MERIDIAN_TEST_PG (test.sh starts one with
/// scripts/pg-test-cluster.sh). Missing configuration fails the tests rather than skipping them.</summary>
public sealed class PostgresServerFixture : ServerFixture
{
    private PostgresTestDatabase? _database;

    protected override async Task<Dictionary<string, string?>> StoreSettingsAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        return new Dictionary<string, string?> { ["Meridian:Store"] = "postgres", ["Meridian:Connection"] = _database.ConnectionString };
    }

    protected override async Task DestroyAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
