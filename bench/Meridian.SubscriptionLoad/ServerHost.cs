using System.Globalization;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Npgsql;

namespace Meridian.SubscriptionLoad;

/// <summary>
/// Meridian on Kestrel in this process (the same <c>MeridianServer.BuildAsync</c> as
/// <c>meridian serve</c>), on a free 127.0.0.1 port, over a throwaway SQLite directory or a fresh
/// PostgreSQL database, both removed on dispose. Encryption at rest is on, as in production;
/// auth is off (<c>InsecureDev</c>) so the figures are the backbone's, not the token checks'.
/// </summary>
internal sealed class ServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _sqliteDir;
    private readonly string? _pgAdmin;
    private readonly string? _pgDatabase;

    private ServerHost(WebApplication app, string root, string? sqliteDir, string? pgAdmin, string? pgDatabase)
    {
        _app = app;
        Root = root;
        _sqliteDir = sqliteDir;
        _pgAdmin = pgAdmin;
        _pgDatabase = pgDatabase;
    }

    /// <summary>The FHIR base, e.g. http://127.0.0.1:41234/fhir.</summary>
    public string Root { get; }

    public string Describe => _sqliteDir is not null ? $"SQLite in {_sqliteDir}" : $"PostgreSQL database {_pgDatabase}";

    public static async Task<ServerHost> StartAsync(BenchOptions options)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Meridian:Port"] = "0",
            ["Meridian:Host"] = "127.0.0.1",
            ["Meridian:InsecureDev"] = "true",
            ["Meridian:Limits:RateLimit:Enabled"] = "false",
            ["Meridian:MASTER_KEY"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
            ["Meridian:Subscriptions:MaxConcurrencyPerEndpoint"] = options.EndpointConcurrency.ToString(CultureInfo.InvariantCulture),
            // The benchmark writes Observations and Encounters only; no DiagnosticReport alerts.
            ["Meridian:Subscriptions:ClinicalAlerts"] = "false",
        };
        string? sqliteDir = null, pgDatabase = null;
        if (options.Store == "postgres")
        {
            if (string.IsNullOrEmpty(options.Postgres))
            {
                throw new InvalidOperationException("postgres needs --postgres or MERIDIAN_TEST_PG (eval \"$(scripts/pg-test-cluster.sh start)\")");
            }
            pgDatabase = "meridian_subs_" + Guid.NewGuid().ToString("N")[..10];
            await using (var admin = new NpgsqlConnection(options.Postgres))
            {
                await admin.OpenAsync().ConfigureAwait(false);
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {pgDatabase}", admin);
                await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            settings["Meridian:Store"] = "postgres";
            settings["Meridian:Connection"] = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = pgDatabase, MaxPoolSize = 64 }.ConnectionString;
        }
        else
        {
            sqliteDir = Directory.CreateTempSubdirectory("meridian-subs-").FullName;
            settings["Meridian:Store"] = "sqlite";
            settings["Meridian:Data"] = sqliteDir;
        }
        var app = await MeridianServer.BuildAsync([], settings).ConfigureAwait(false);
        await app.StartAsync().ConfigureAwait(false);
        var address = MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        return new ServerHost(app, address + "/fhir", sqliteDir, options.Postgres, pgDatabase);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (_sqliteDir is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_sqliteDir, recursive: true);
        }
        if (_pgDatabase is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(_pgAdmin);
            await admin.OpenAsync().ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_pgDatabase} WITH (FORCE)", admin);
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }
}
