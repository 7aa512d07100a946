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
public abstract class AuditServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public string Root { get; private set; } = "";

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>The store arguments of the meridian command (<c>--data DIR</c> or <c>--store postgres --connection …</c>).</summary>
    public abstract string[] StoreArguments { get; }

    public abstract bool IsPostgres { get; }

    protected abstract Task<Dictionary<string, string?>> StoreSettingsAsync();

    protected virtual Task DestroyAsync() => Task.CompletedTask;

    public abstract DbConnection OpenRaw();

    public async Task InitializeAsync()
    {
        var settings = await StoreSettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:InsecureDev"] = "true"; // audit is about who; auth has its own tests
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
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p.Value = args[i];
            cmd.Parameters.Add(p);
        }
        return await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Reads rows of a query with positional parameters.</summary>
    public async Task<List<object[]>> QueryAsync(string sql, params object[] args)
    {
        await using var connection = OpenRaw();
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        for (var i = 0; i < args.Length; i++)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p.Value = args[i];
            cmd.Parameters.Add(p);
        }
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
        await DestroyAsync();
    }
}

public sealed class SqliteAuditServerFixture : AuditServerFixture
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-audit-").FullName;

    public override string[] StoreArguments => ["--data", _dir];

    public override bool IsPostgres => false;

    protected override Task<Dictionary<string, string?>> StoreSettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Meridian:Store"] = "sqlite", ["Meridian:Data"] = _dir });

    public override DbConnection OpenRaw() =>
        new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_dir, "meridian.db"), DefaultTimeout = 30, Pooling = false }.ToString());

    protected override Task DestroyAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PostgresAuditServerFixture : AuditServerFixture
{
    private PostgresTestDatabase? _database;

    public override string[] StoreArguments => ["--store", "postgres", "--connection", _database!.ConnectionString];

    public override bool IsPostgres => true;

    protected override async Task<Dictionary<string, string?>> StoreSettingsAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        return new Dictionary<string, string?> { ["Meridian:Store"] = "postgres", ["Meridian:Connection"] = _database.ConnectionString };
    }

    public override DbConnection OpenRaw() => new NpgsqlConnection(_database!.ConnectionString);

    protected override async Task DestroyAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
