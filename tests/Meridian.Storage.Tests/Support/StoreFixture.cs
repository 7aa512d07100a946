using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;
using Npgsql;

namespace Meridian.Storage.Tests.Support;

/// <summary>
/// One migrated store per test class. Tests isolate themselves with a fresh tenant each, which
/// also exercises tenant scoping on every statement. The official examples are loaded once,
/// in one transaction (the batch write path), into the tenant <see cref="ExamplesTenant"/>.
/// </summary>
public abstract class StoreFixture : IAsyncLifetime
{
    private readonly Lazy<Task> _examples;

    protected StoreFixture() => _examples = new Lazy<Task>(LoadExamplesAsync);

    public const string ExamplesTenant = "examples";

    public IFhirStore Store { get; private set; } = null!;

    /// <summary>Results of loading the examples (one per example, in order).</summary>
    public TransactResult? ExamplesResult { get; private set; }

    protected abstract Task<IFhirStore> CreateAsync();

    protected abstract Task DestroyAsync();

    public async Task InitializeAsync()
    {
        Store = await CreateAsync();
        await Store.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        if (Store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
        await DestroyAsync();
    }

    public async Task<string> ExamplesAsync()
    {
        await _examples.Value;
        return ExamplesTenant;
    }

    /// <summary>Another store instance over the same database, e.g. with transaction contributors.</summary>
    public abstract IFhirStore OpenAnother(StoreOptions options);

    private async Task LoadExamplesAsync()
    {
        ExamplesResult = await Store.TransactAsync(ExamplesTenant, Examples.All);
        Assert.True(ExamplesResult.Succeeded, ExamplesResult.Failure?.Message);
    }
}

/// <summary>A SQLite database file in a fresh temp directory.</summary>
public sealed class SqliteStoreFixture : StoreFixture
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-sqlite-").FullName;

    public string DatabasePath => Path.Combine(_dir, "meridian.db");

    protected override Task<IFhirStore> CreateAsync() => Task.FromResult<IFhirStore>(new SqliteFhirStore(DatabasePath));

    public override IFhirStore OpenAnother(StoreOptions options) => new SqliteFhirStore(DatabasePath, options);

    protected override Task DestroyAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// A fresh database on the server named by MERIDIAN_TEST_PG (test.sh starts a throwaway
/// cluster with scripts/pg-test-cluster.sh). Missing configuration fails every test: a
/// PostgreSQL suite that silently skips would hide a broken provider.
/// </summary>
public sealed class PostgresStoreFixture : StoreFixture
{
    private readonly string _database = "meridian_test_" + Guid.NewGuid().ToString("N")[..12];
    private string? _admin;
    private string? _connectionString;

    public override IFhirStore OpenAnother(StoreOptions options) => PostgresFhirStore.Create(_connectionString!, options);

    protected override async Task<IFhirStore> CreateAsync()
    {
        _admin = Environment.GetEnvironmentVariable("MERIDIAN_TEST_PG");
        if (string.IsNullOrEmpty(_admin))
        {
            throw new InvalidOperationException("MERIDIAN_TEST_PG is not set: start a cluster with `eval \"$(scripts/pg-test-cluster.sh start)\"` (test.sh does this)");
        }
        await using (var admin = new NpgsqlConnection(_admin))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        _connectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = _database }.ConnectionString;
        return PostgresFhirStore.Create(_connectionString);
    }

    protected override async Task DestroyAsync()
    {
        if (string.IsNullOrEmpty(_admin))
        {
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_admin);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
        await cmd.ExecuteNonQueryAsync();
    }
}
