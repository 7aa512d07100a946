using System.Globalization;
using System.Net.Http.Headers;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;

namespace Meridian.Api.Tests.Support;

/// <summary>Which store a <see cref="ConfiguredServer"/> runs on.</summary>
public enum TestStore { Sqlite, Postgres }

/// <summary>
/// A real Meridian server on 127.0.0.1 with settings of the test's choosing (limits, dev mode,
/// retention), on a throwaway SQLite directory or PostgreSQL database. For tests whose settings
/// differ from the shared <see cref="ServerFixture"/>.
/// </summary>
public sealed class ConfiguredServer : IAsyncDisposable
{
    private readonly string? _dir;
    private readonly PostgresTestDatabase? _database;

    private ConfiguredServer(WebApplication app, string root, string? dir, PostgresTestDatabase? database)
    {
        App = app;
        Root = root;
        _dir = dir;
        _database = database;
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
    }

    public WebApplication App { get; }

    /// <summary><c>http://127.0.0.1:port</c>.</summary>
    public string Root { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };

    public FhirClient Tenant(string tenant) => new(Http, $"{Root}/t/{tenant}/fhir");

    public FhirClient NewTenant() => Tenant(Guid.NewGuid().ToString("N"));

    /// <param name="beforeStart">Runs on the built application before it starts (tests map extra endpoints here).</param>
    public static async Task<ConfiguredServer> StartAsync(TestStore store, IReadOnlyDictionary<string, string?> settings, Action<WebApplication>? beforeStart = null)
    {
        string? dir = null;
        PostgresTestDatabase? database = null;
        var all = new Dictionary<string, string?> { ["Meridian:Port"] = "0" };
        if (store == TestStore.Sqlite)
        {
            dir = Directory.CreateTempSubdirectory("meridian-cfg-").FullName;
            all["Meridian:Store"] = "sqlite";
            all["Meridian:Data"] = dir;
        }
        else
        {
            database = await PostgresTestDatabase.CreateAsync();
            all["Meridian:Store"] = "postgres";
            all["Meridian:Connection"] = database.ConnectionString;
            // As in production, PostgreSQL stores encrypted: a throwaway master key (tests may override it).
            all["Meridian:MASTER_KEY"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }
        foreach (var (k, v) in settings)
        {
            all[k] = v;
        }
        var app = await MeridianServer.BuildAsync([], all);
        beforeStart?.Invoke(app);
        await app.StartAsync();
        var root = MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        return new ConfiguredServer(app, root, dir, database);
    }

    /// <summary>The TCP port the server listens on.</summary>
    public int Port => int.Parse(Root[(Root.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_dir is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_dir, recursive: true);
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
