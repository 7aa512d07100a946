using System.Text;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Records;
using Meridian.Storage.Sqlite;

namespace Meridian.Identity.Tests.Storage;

/// <summary>The record store contract (migration 0005), once for both providers: compare-and-swap, expiry, tenants.</summary>
public abstract class SystemRecordStoreTests : IAsyncLifetime
{
    protected ManualClock Clock { get; } = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));

    protected ISystemRecordStore Records { get; private set; } = null!;

    protected abstract Task<IFhirStore> CreateAsync(StoreOptions options);

    public async Task InitializeAsync()
    {
        var store = await CreateAsync(new StoreOptions { Clock = Clock });
        await store.MigrateAsync();
        await store.MigrateAsync(); // idempotent
        Records = (ISystemRecordStore)store;
    }

    public abstract Task DisposeAsync();

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task Create_only_succeeds_once_and_updates_need_the_current_version()
    {
        Assert.Equal(1, await Records.PutRecordAsync("t1", "k", "a", B("one"), SystemRecord.Absent));
        Assert.Null(await Records.PutRecordAsync("t1", "k", "a", B("again"), SystemRecord.Absent));
        Assert.Null(await Records.PutRecordAsync("t1", "k", "a", B("stale"), 7));
        Assert.Equal(2, await Records.PutRecordAsync("t1", "k", "a", B("two"), 1));
        Assert.Null(await Records.PutRecordAsync("t1", "k", "a", B("lost race"), 1));
        var r = await Records.GetRecordAsync("t1", "k", "a");
        Assert.Equal("two", Encoding.UTF8.GetString(r!.Value));
        Assert.Equal(2, r.Version);
    }

    [Fact]
    public async Task Tenants_and_kinds_are_separate_namespaces()
    {
        await Records.PutRecordAsync("t1", "user", "x", B("t1"), SystemRecord.Absent);
        await Records.PutRecordAsync("t2", "user", "x", B("t2"), SystemRecord.Absent);
        await Records.PutRecordAsync(SystemRecord.ServerWide, "user", "x", B("server"), SystemRecord.Absent);
        await Records.PutRecordAsync("t1", "client", "x", B("client"), SystemRecord.Absent);
        Assert.Equal("t2", Encoding.UTF8.GetString((await Records.GetRecordAsync("t2", "user", "x"))!.Value));
        Assert.Single(await Records.ListRecordsAsync("t1", "user"));
        Assert.Equal(["x"], (await Records.ListRecordsAsync(SystemRecord.ServerWide, "user")).Select(r => r.Key));
        Assert.Null(await Records.GetRecordAsync("t3", "user", "x"));
    }

    [Fact]
    public async Task Expired_records_are_absent_and_their_key_can_be_taken_again()
    {
        var at = Clock.GetUtcNow();
        await Records.PutRecordAsync("t1", "code", "c", B("v"), SystemRecord.Absent, at.AddSeconds(60));
        Assert.NotNull(await Records.GetRecordAsync("t1", "code", "c"));
        Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Null(await Records.GetRecordAsync("t1", "code", "c"));
        Assert.Empty(await Records.ListRecordsAsync("t1", "code"));
        Assert.Null(await Records.PutRecordAsync("t1", "code", "c", B("update of expired"), 1));
        Assert.Equal(1, await Records.PutRecordAsync("t1", "code", "c", B("fresh"), SystemRecord.Absent, Clock.GetUtcNow().AddSeconds(60)));
        await Records.PutRecordAsync("t1", "code", "d", B("old"), SystemRecord.Absent, Clock.GetUtcNow().AddSeconds(1));
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await Records.PurgeExpiredRecordsAsync("code", Clock.GetUtcNow()));
    }

    [Fact]
    public async Task Delete_with_a_version_is_a_compare_and_swap()
    {
        await Records.PutRecordAsync("t1", "rt", "r", B("v"), SystemRecord.Absent);
        Assert.False(await Records.DeleteRecordAsync("t1", "rt", "r", 2));
        Assert.True(await Records.DeleteRecordAsync("t1", "rt", "r", 1));
        Assert.False(await Records.DeleteRecordAsync("t1", "rt", "r", SystemRecord.AnyVersion));
    }

    [Fact]
    public async Task Concurrent_consumers_of_one_version_have_exactly_one_winner()
    {
        await Records.PutRecordAsync("t1", "code", "once", B("v"), SystemRecord.Absent);
        var attempts = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => Records.DeleteRecordAsync("t1", "code", "once", 1))));
        Assert.Equal(1, attempts.Count(x => x));
    }
}

public sealed class SqliteSystemRecordStoreTests : SystemRecordStoreTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-records-").FullName;
    private IAsyncDisposable? _store;

    protected override Task<IFhirStore> CreateAsync(StoreOptions options)
    {
        var store = new SqliteFhirStore(Path.Combine(_dir, "m.db"), options);
        _store = store;
        return Task.FromResult<IFhirStore>(store);
    }

    public override async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class PostgresSystemRecordStoreTests : SystemRecordStoreTests
{
    private PostgresTestDatabase? _database;
    private IAsyncDisposable? _store;

    protected override async Task<IFhirStore> CreateAsync(StoreOptions options)
    {
        _database = await PostgresTestDatabase.CreateAsync();
        var store = PostgresFhirStore.Create(_database.ConnectionString, options);
        _store = store;
        return store;
    }

    public override async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>A clock tests move by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
