using System.Data.Common;
using System.Net.Http.Headers;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Meridian.Audit.Tests.Support;

/// <summary>
/// A real Meridian server on 127.0.0.1 (in process, free port) over one store, with raw SQL
/// access to that store for tampering, and the arguments that point <c>meridian audit verify</c>
/// and a child <c>meridian serve</c> at it. Tests isolate themselves by tenant.
/// </summary>
public abstract class AuditServerFixture(TestServerStore store) : IAsyncLifetime
{
    private WebApplication? _app;

    public string Root { get; private set; } = "";

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>The store arguments of the meridian command (<c>--data DIR</c> or <c>--store postgres --connection …</c>).</summary>
    public string[] StoreArguments => store.CliArguments;

    public bool IsPostgres => store.IsPostgres;

    public DbConnection OpenRaw() => store switch
    {
        SqliteTestServerStore sqlite => new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(sqlite.Directory, "meridian.db"), DefaultTimeout = 30, Pooling = false }.ToString()),
        PostgresTestServerStore postgres => new NpgsqlConnection(postgres.AdminConnectionString),
        _ => throw new NotSupportedException(store.GetType().Name),
    };

    public async Task InitializeAsync()
    {
        var settings = await store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:InsecureDev"] = "true"; // audit is about who; auth has its own tests
        // Plaintext rows, so tests can read and tamper with the JSON directly (encrypted chains
        // are verified by the storage compliance suite and AuditVerifyEncryptedTests).
        settings["Meridian:Encryption:Mode"] = "off";
        _app = await MeridianServer.BuildAsync([], settings);
        await _app.StartAsync();
        Root = MeridianServer.Addresses(_app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
    }

    public static string NewTenant() => "audit" + Guid.NewGuid().ToString("N")[..12];

    public string Base(string tenant) => $"{Root}/t/{tenant}/fhir";

    /// <summary>Runs one statement with positional parameters <c>@p0</c>, <c>@p1</c>…; returns rows affected.</summary>
    public async Task<int> ExecuteAsync(string sql, params object[] args)
    {
        await using var connection = OpenRaw();
        await connection.OpenAsync();
        await using var cmd = Command(connection, sql, args);
        return await cmd.ExecuteNonQueryAsync();
    }

    private static DbCommand Command(DbConnection connection, string sql, object[] args)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p.Value = args[i];
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    /// <summary>Reads rows of a query with positional parameters.</summary>
    public async Task<List<object[]>> QueryAsync(string sql, params object[] args)
    {
        await using var connection = OpenRaw();
        await connection.OpenAsync();
        await using var cmd = Command(connection, sql, args);
        var rows = new List<object[]>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }
        return rows;
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await store.DisposeAsync();
    }
}

public sealed class SqliteAuditServerFixture() : AuditServerFixture(TestServerStore.Sqlite("meridian-audit-"));

public sealed class PostgresAuditServerFixture() : AuditServerFixture(TestServerStore.Postgres());
