using Meridian.Fhir.Serialization;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Relational;
using Meridian.Storage.Search;
using Meridian.Storage.Sqlite;
using Meridian.Testing;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.EndToEnd;

/// <summary>
/// The bounded counts that choose a search's plan are reused for
/// <see cref="StoreOptions.PlanProbeCacheDuration"/>: a repeated search skips them, and an answer
/// made stale by later writes changes only the plan, never the matches or pages.
/// </summary>
public abstract class PlanProbeCacheTests : IAsyncLifetime
{
    private const string Tenant = "t1";

    /// <summary>Sources drive while fewer than 3 rows carry the code.</summary>
    private static readonly StoreOptions Cached = new() { HasSourceDriveLimit = 3 };

    private static readonly StoreOptions Uncached = new() { HasSourceDriveLimit = 3, PlanProbeCacheDuration = TimeSpan.Zero };

    protected abstract Task<RelationalFhirStore> OpenAsync(StoreOptions options);

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    [Fact]
    public async Task A_repeated_search_reuses_the_count_and_a_stale_one_still_finds_every_match()
    {
        await using var store = (IAsyncDisposable)await OpenAsync(Cached);
        var cached = (RelationalFhirStore)store;
        await cached.MigrateAsync();
        await WriteAsync(cached, Patient("p1"), Patient("p2"), Patient("p3"), Patient("p4"), Obs("o1", "x", "p1"));

        Assert.Equal("p1", await IdsAsync(cached));
        var hits = cached.PlanProbeCacheHitCount;
        Assert.Equal("p1", await IdsAsync(cached));
        Assert.Equal(hits + 1, cached.PlanProbeCacheHitCount);

        // Now 4 rows carry the code: a fresh count would let the targets drive, the cached one
        // (1 row) still says sources. Both plans give the same matches and pages.
        await WriteAsync(cached, Obs("o2", "x", "p2"), Obs("o3", "x", "p3"), Obs("o4", "x", "p4"));
        var stale = await StorePages.AllAsync(cached, Tenant, Query("Patient", "_has:Observation:patient:code=x") with { Count = 2, Total = TotalMode.Accurate }, 10);
        // Two pages of 2, each planned from the cached count (plus the repeat above).
        Assert.Equal(hits + 3, cached.PlanProbeCacheHitCount);

        await using var fresh = (IAsyncDisposable)await OpenAsync(Uncached);
        var uncached = (RelationalFhirStore)fresh;
        var exact = await StorePages.AllAsync(uncached, Tenant, Query("Patient", "_has:Observation:patient:code=x") with { Count = 2, Total = TotalMode.Accurate }, 10);
        Assert.Equal(0, uncached.PlanProbeCacheHitCount);
        Assert.Equal(["p1", "p2", "p3", "p4"], exact.Ids.Order(StringComparer.Ordinal));
        Assert.Equal(exact.Ids, stale.Ids);
        Assert.Equal(exact.Pages, stale.Pages);
        Assert.Equal(4, stale.Total);
    }

    [Fact]
    public async Task Different_values_are_counted_apart()
    {
        await using var store = (IAsyncDisposable)await OpenAsync(Cached);
        var cached = (RelationalFhirStore)store;
        await cached.MigrateAsync();
        await WriteAsync(cached, Patient("p1"), Patient("p2"), Obs("o1", "x", "p1"), Obs("o2", "y", "p2"));
        var hits = cached.PlanProbeCacheHitCount;
        Assert.Equal("p1", await IdsAsync(cached, "x"));
        Assert.Equal("p2", await IdsAsync(cached, "y"));
        Assert.Equal(hits, cached.PlanProbeCacheHitCount);
    }

    private static async Task<string> IdsAsync(IFhirStore store, string code = "x")
    {
        var result = await store.SearchAsync(Tenant, Query("Patient", "_has:Observation:patient:code=" + code));
        return string.Join(",", result.Matches.Select(m => m.Id).Order(StringComparer.Ordinal));
    }

    private static string Patient(string id) => $$"""{"resourceType":"Patient","id":"{{id}}"}""";

    private static string Obs(string id, string code, string patient) =>
        $$$"""{"resourceType":"Observation","id":"{{{id}}}","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"{{{code}}}"}]},"subject":{"reference":"Patient/{{{patient}}}"}}""";

    private static async Task WriteAsync(IFhirStore store, params string[] resources)
    {
        var ops = new List<WriteOperation>();
        foreach (var json in resources)
        {
            var resource = FhirJsonParser.R4.Parse(json).Resource!;
            ops.Add(new UpdateOperation(resource.TypeName, resource.ResourceId!, ResourceContent.From(resource)));
        }
        var result = await store.TransactAsync(Tenant, ops);
        Assert.True(result.Succeeded, result.Failure?.Message);
    }
}

public sealed class SqlitePlanProbeCacheTests : PlanProbeCacheTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-probecache-").FullName;

    protected override Task<RelationalFhirStore> OpenAsync(StoreOptions options) =>
        Task.FromResult<RelationalFhirStore>(new SqliteFhirStore(Path.Combine(_dir, "probe.db"), options));

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PostgresPlanProbeCacheTests : PlanProbeCacheTests
{
    private PostgresTestDatabase? _database;

    protected override Task<RelationalFhirStore> OpenAsync(StoreOptions options) =>
        Task.FromResult<RelationalFhirStore>(PostgresFhirStore.Create(_database!.ConnectionString, options));

    public override async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public override async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
