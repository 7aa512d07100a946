namespace Meridian.Testing;

/// <summary>
/// The store half of a test server's configuration: a throwaway SQLite directory or a
/// throwaway PostgreSQL database (<see cref="PostgresTestDatabase"/>), as <c>Meridian:*</c>
/// settings, removed on dispose. Fixtures that start servers on both stores take one of these
/// instead of each writing the same two subclasses.
/// </summary>
public abstract class TestServerStore : IAsyncDisposable
{
    /// <summary><c>Meridian:Store</c> and <c>Meridian:Data</c> or <c>Meridian:Connection</c>; a new dictionary each call.</summary>
    public abstract Task<Dictionary<string, string?>> SettingsAsync();

    public abstract ValueTask DisposeAsync();

    public abstract bool IsPostgres { get; }

    /// <summary>The same store as arguments of the meridian command (<c>--data DIR</c> or <c>--store postgres --connection …</c>).</summary>
    public abstract string[] CliArguments { get; }

    public static SqliteTestServerStore Sqlite(string prefix) => new(prefix);

    public static PostgresTestServerStore Postgres() => new();
}

/// <summary>One database on the test cluster, created on first use; every server of the fixture shares it.</summary>
public sealed class PostgresTestServerStore : TestServerStore
{
    private PostgresTestDatabase? _database;

    /// <summary>Valid once <see cref="TestServerStore.SettingsAsync"/> has run.</summary>
    public string ConnectionString => _database?.ConnectionString ?? throw new InvalidOperationException("the database is created by SettingsAsync");

    /// <summary>The superuser on the same database (bypasses row-level security): for tests that
    /// inspect or tamper with rows behind the server's back.</summary>
    public string AdminConnectionString => _database?.AdminConnectionString ?? throw new InvalidOperationException("the database is created by SettingsAsync");

    public override bool IsPostgres => true;

    public override string[] CliArguments => ["--store", "postgres", "--connection", ConnectionString];

    /// <summary>PostgreSQL stores encrypted at rest unless the server runs with --insecure-dev,
    /// so every server of the fixture gets this throwaway master key (base64).</summary>
    public string MasterKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public override async Task<Dictionary<string, string?>> SettingsAsync()
    {
        _database ??= await PostgresTestDatabase.CreateAsync();
        return new Dictionary<string, string?>
        {
            ["Meridian:Store"] = "postgres",
            ["Meridian:Connection"] = _database.ConnectionString,
            ["Meridian:MASTER_KEY"] = MasterKey,
        };
    }

    public override async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>A temporary directory for the embedded SQLite store.</summary>
public sealed class SqliteTestServerStore(string prefix) : TestServerStore
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory(prefix).FullName;

    public override bool IsPostgres => false;

    public override string[] CliArguments => ["--data", Directory];

    public override Task<Dictionary<string, string?>> SettingsAsync() =>
        Task.FromResult(new Dictionary<string, string?> { ["Meridian:Store"] = "sqlite", ["Meridian:Data"] = Directory });

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the database files open; release them before deleting.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}
