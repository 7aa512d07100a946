using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Meridian.LoadHarness;

/// <summary>
/// Meridian on Kestrel in this process, on a free 127.0.0.1 port, over a throwaway store: a
/// SQLite database in a temp directory or a fresh PostgreSQL database, both removed on dispose.
/// </summary>
internal sealed class ServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string? _sqliteDir;
    private readonly string? _pgAdmin;
    private readonly string? _pgDatabase;
    private bool _keep;
    private readonly string _encryption;
    private string _pgRole = "superuser";

    private ServerHost(WebApplication app, string root, string? sqliteDir, string? pgAdmin, string? pgDatabase, string encryption)
    {
        _encryption = encryption;
        _app = app;
        Root = root;
        _sqliteDir = sqliteDir;
        _pgAdmin = pgAdmin;
        _pgDatabase = pgDatabase;
    }

    /// <summary>The FHIR base, e.g. http://127.0.0.1:41234/fhir.</summary>
    public string Root { get; }

    /// <summary>The SQLite database file, or null on PostgreSQL.</summary>
    public string? SqliteFile => _sqliteDir is null ? null : Path.Combine(_sqliteDir, "meridian.db");

    /// <summary>A connection string to the PostgreSQL database, or null on SQLite.</summary>
    public string? PostgresConnection => _pgDatabase is null ? null : new NpgsqlConnectionStringBuilder(_pgAdmin) { Database = _pgDatabase }.ConnectionString;

    public string Describe => (_sqliteDir is not null ? $"SQLite in {_sqliteDir}" : $"PostgreSQL database {_pgDatabase} as {_pgRole}") + $", encryption at rest {_encryption}";

    public static async Task<ServerHost> StartAsync(HarnessOptions options)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Meridian:Port"] = "0",
            ["Meridian:InsecureDev"] = "true",
            ["Meridian:Limits:RateLimit:Enabled"] = "false", // the harness measures the server, not the per-client throttle
            ["Meridian:Host"] = "127.0.0.1",
            ["Meridian:MaxBodyBytes"] = (64L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        string? sqliteDir = null, pgDatabase = null;
        if (options.Store == "postgres")
        {
            if (string.IsNullOrEmpty(options.Postgres))
            {
                throw new InvalidOperationException("postgres needs --postgres or MERIDIAN_TEST_PG (scripts/pg-test-cluster.sh start)");
            }
            pgDatabase = options.PgDatabase ?? "meridian_load_" + Guid.NewGuid().ToString("N")[..10];
            await using (var admin = new NpgsqlConnection(options.Postgres))
            {
                await admin.OpenAsync().ConfigureAwait(false);
                await using var exists = new NpgsqlCommand($"SELECT 1 FROM pg_database WHERE datname = '{pgDatabase}'", admin);
                if (await exists.ExecuteScalarAsync().ConfigureAwait(false) is null)
                {
                    if (options.PgRole == "app")
                    {
                        // The role has the database's name; the test cluster trusts local logins.
                        await using var role = new NpgsqlCommand(
                            $"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{pgDatabase}') THEN CREATE ROLE {pgDatabase} LOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$", admin);
                        await role.ExecuteNonQueryAsync().ConfigureAwait(false);
                    }
                    await using var cmd = new NpgsqlCommand($"CREATE DATABASE {pgDatabase}" + (options.PgRole == "app" ? $" OWNER {pgDatabase}" : ""), admin);
                    await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
                }
            }
            settings["Meridian:Store"] = "postgres";
            var server = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = pgDatabase, MaxPoolSize = 64 };
            if (options.PgRole == "app")
            {
                server.Username = pgDatabase;
                server.Password = null;
            }
            settings["Meridian:Connection"] = server.ConnectionString;
        }
        else
        {
            sqliteDir = options.DataDir is { } keep ? Directory.CreateDirectory(keep).FullName : Directory.CreateTempSubdirectory("meridian-load-").FullName;
            settings["Meridian:Store"] = "sqlite";
            settings["Meridian:Data"] = sqliteDir;
        }
        if (options.Encryption == "off")
        {
            settings["Meridian:Encryption:Mode"] = "off";
        }
        else
        {
            settings["Meridian:MASTER_KEY"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }
        var app = await MeridianServer.BuildAsync([], settings).ConfigureAwait(false);
        await app.StartAsync().ConfigureAwait(false);
        var address = MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        return new ServerHost(app, address + "/fhir", sqliteDir, options.Postgres, pgDatabase, options.Encryption) { _keep = options.DataDir is not null || options.PgDatabase is not null, _pgRole = options.PgRole };
    }

    /// <summary>
    /// Refreshes planner statistics after a bulk load, as a host would periodically: SQLite's
    /// OptimizeAsync (ANALYZE where stale), PostgreSQL's ANALYZE (autovacuum would get there later).
    /// </summary>
    public async Task AnalyzeAsync(bool fullSqliteAnalyze)
    {
        var store = _app.Services.GetRequiredService<Meridian.Storage.IFhirStore>();
        if (store is Meridian.Storage.Sqlite.SqliteFhirStore sqlite)
        {
            await sqlite.OptimizeAsync().ConfigureAwait(false);
        }
        if (_sqliteDir is not null && fullSqliteAnalyze)
        {
            await using var db = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + Path.Combine(_sqliteDir, "meridian.db"));
            await db.OpenAsync().ConfigureAwait(false);
            await using var cmd = db.CreateCommand();
            cmd.CommandText = "ANALYZE;";
            cmd.CommandTimeout = 600;
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        if (_pgDatabase is not null)
        {
            await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_pgAdmin) { Database = _pgDatabase }.ConnectionString);
            await db.OpenAsync().ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("ANALYZE", db) { CommandTimeout = 600 };
            await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        if (_keep)
        {
            return;
        }
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
            await using (var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_pgDatabase} WITH (FORCE)", admin))
            {
                await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
            if (_pgRole == "app")
            {
                await using var role = new NpgsqlCommand($"DROP ROLE IF EXISTS {_pgDatabase}", admin);
                await role.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
    }
}
