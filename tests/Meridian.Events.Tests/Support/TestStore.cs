using Meridian.Fhir.Serialization;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;

namespace Meridian.Events.Tests.Support;

/// <summary>
/// A fresh, migrated database per test (the change feed is global, so tests must not share
/// one): a SQLite file in a temp directory or a database on the PostgreSQL test cluster.
/// <see cref="OpenAnother"/> opens a second store on the same database (a second node).
/// </summary>
public sealed class TestStore : IAsyncDisposable
{
    private readonly List<IFhirStore> _opened = [];
    private readonly string? _directory;
    private readonly PostgresTestDatabase? _database;

    private TestStore(string? directory, PostgresTestDatabase? database)
    {
        _directory = directory;
        _database = database;
    }

    public IFhirStore Store => _opened[0];

    public bool IsPostgres => _database is not null;

    public static async Task<TestStore> CreateAsync(bool postgres)
    {
        var store = postgres
            ? new TestStore(null, await PostgresTestDatabase.CreateAsync())
            : new TestStore(Directory.CreateTempSubdirectory("meridian-events-").FullName, null);
        await store.OpenAnother().MigrateAsync();
        return store;
    }

    public IFhirStore OpenAnother()
    {
        IFhirStore store = _database is not null
            ? PostgresFhirStore.Create(_database.ConnectionString)
            : new SqliteFhirStore(Path.Combine(_directory!, "meridian.db"));
        _opened.Add(store);
        return store;
    }

    /// <summary>Creates <paramref name="count"/> patients, one transaction each, some concurrently.</summary>
    public async Task WriteAsync(int count, string tenant = "t1", IFhirStore? through = null, string? traceId = null)
    {
        var store = through ?? Store;
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            var parsed = FhirJsonParser.R4.Parse($$"""{"resourceType":"Patient","name":[{"family":"P{{i}}"}]}""");
            var result = await store.TransactAsync(tenant, [new CreateOperation("Patient", ResourceContent.From(parsed.Resource!))], new TransactOptions(traceId));
            Assert.True(result.Succeeded, result.Failure?.Message);
        });
        await Task.WhenAll(tasks);
    }

    /// <summary>Every sequence in the feed, in order.</summary>
    public async Task<long[]> FeedAsync()
    {
        var all = new List<long>();
        for (var after = 0L; ; )
        {
            var page = await Store.ReadChangesAsync(after, 1000);
            if (page.IsEmpty)
            {
                return [.. all];
            }
            all.AddRange(page.Select(c => c.Sequence));
            after = page[^1].Sequence;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var store in _opened)
        {
            if (store is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
        if (_directory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
