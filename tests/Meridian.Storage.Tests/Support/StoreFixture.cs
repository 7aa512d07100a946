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
    private PostgresTestDatabase? _database;

    public override IFhirStore OpenAnother(StoreOptions options) => PostgresFhirStore.Create(_database!.ConnectionString, options);

    protected override async Task<IFhirStore> CreateAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        return PostgresFhirStore.Create(_database.ConnectionString);
    }

    protected override async Task DestroyAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
