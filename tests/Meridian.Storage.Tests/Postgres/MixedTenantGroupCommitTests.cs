using System.Collections.Immutable;
using Meridian.Storage.Postgres;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Tests.Support;
using Npgsql;

namespace Meridian.Storage.Tests.Postgres;

/// <summary>
/// Group commit under row-level security: one database transaction holding requests of several
/// tenants. Each request must run in its own tenant's scope and the batch's deferred rows must
/// be inserted per tenant; otherwise the policies refuse the rows (or, worse, accept them
/// under the wrong tenant). A gate holds every writer busy while the mixed requests queue, so
/// they are certain to share one batch.
/// </summary>
public sealed class MixedTenantGroupCommitTests : IAsyncLifetime
{
    /// <summary>The PostgreSQL store's number of concurrent group commits.</summary>
    private const int Writers = 4;

    private readonly Gate _gate = new(Writers);
    private PostgresTestDatabase? _database;
    private PostgresFhirStore? _store;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        _store = PostgresFhirStore.Create(_database.ConnectionString, new StoreOptions { Contributors = [_gate] });
        await _store.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        _gate.Release();
        await _store!.DisposeAsync();
        await _database!.DisposeAsync();
    }

    [Fact]
    public async Task One_batch_commits_several_tenants_each_under_its_own_tenant()
    {
        var store = _store!;
        Assert.True((await store.TransactAsync("mix-1", [new CreateOperation("Patient", Examples.Patient("Taken"), "taken")])).Succeeded);
        _gate.Arm();
        // One at a time, so each lands in a batch of its own on a writer of its own.
        var blockers = new List<Task<TransactResult>>();
        for (var i = 0; i < Writers; i++)
        {
            blockers.Add(store.TransactAsync("mix-0", [new CreateOperation("Patient", Examples.Patient("Blocker"), "b" + i)]));
            await _gate.Held.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(2));
        }

        // Queued while every writer is held: the first writer to be free takes them all at once.
        var tenants = new[] { "mix-1", "mix-2", "mix-3" };
        // Request 6 (mix-1) reuses an id taken in mix-1 and fails alone; request 4 (mix-2) uses
        // the same id in mix-2, where it is free.
        var mixed = Enumerable.Range(0, 30).Select(i => store.TransactAsync(tenants[i % 3],
            [new CreateOperation("Patient", Examples.Patient("Mixed" + tenants[i % 3]), i is 4 or 6 ? "taken" : "p" + i)])).ToArray();
        _gate.Release();
        Assert.All(await Task.WhenAll(blockers), r => Assert.True(r.Succeeded, r.Failure?.Message));
        var results = await Task.WhenAll(mixed);

        for (var i = 0; i < results.Length; i++)
        {
            if (i == 6)
            {
                Assert.Equal(StoreFailureKind.AlreadyExists, results[i].Failure?.Kind);
            }
            else
            {
                Assert.True(results[i].Succeeded, results[i].Failure?.Message);
            }
        }
        foreach (var tenant in tenants)
        {
            var found = await store.SearchAsync(tenant, new SearchQuery("Patient", new ParameterExpression("family", new StringPredicate("Mixed" + tenant, StringMatch.Exact))) { Count = 100 });
            Assert.Equal(tenant == "mix-1" ? 9 : 10, found.Matches.Length);
            Assert.All(found.Matches, m => Assert.Equal(tenant, m.Tenant));
            var feed = (await store.ReadChangesAsync(0, 10_000)).Where(c => c.Tenant == tenant).Select(c => c.Id).ToHashSet();
            Assert.Equal(10, feed.Count);
        }
        Assert.Equal("Taken", Family((await store.ReadAsync("mix-1", "Patient", "taken"))!));

        await using var admin = new NpgsqlConnection(_database!.AdminConnectionString);
        await admin.OpenAsync();
        // Some transaction really wrote rows of several tenants (change rows are inserted after
        // the requests' savepoints, so they carry the top-level transaction id)...
        Assert.True(await ScalarAsync(admin, "SELECT max(n) FROM (SELECT count(DISTINCT tenant) AS n FROM changes GROUP BY xmin::text) t") >= 2);
        // ...and every index and change row carries the tenant of its resource.
        foreach (var table in new[] { "token_index", "string_index", "reference_index", "date_index" })
        {
            Assert.Equal(0, await ScalarAsync(admin, $"SELECT count(*) FROM {table} i JOIN resources r ON r.resource_key = i.resource_key AND r.is_current WHERE i.tenant <> r.tenant"));
        }
        Assert.Equal(0, await ScalarAsync(admin, "SELECT count(*) FROM changes c LEFT JOIN resources r ON r.tenant = c.tenant AND r.type = c.type AND r.id = c.id AND r.version = c.version WHERE r.id IS NULL"));
    }

    private static string Family(StoredResource r) =>
        System.Text.Json.JsonDocument.Parse(r.Json).RootElement.GetProperty("name")[0].GetProperty("family").GetString()!;

    private static async Task<long> ScalarAsync(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Once armed, holds the next <c>count</c> requests inside their transactions
    /// (one per writer) until released.</summary>
    private sealed class Gate(int count) : ITransactionContributor
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;
        private int _held;

        /// <summary>One item per request held.</summary>
        public System.Threading.Channels.Channel<int> Held { get; } = System.Threading.Channels.Channel.CreateUnbounded<int>();

        public void Arm() => Volatile.Write(ref _armed, 1);

        public void Release() => _release.TrySetResult();

        public async ValueTask<ImmutableArray<WriteOperation>> ContributeAsync(TransactionContext context, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _armed) == 1 && Interlocked.Increment(ref _held) <= count)
            {
                Held.Writer.TryWrite(0);
                await _release.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            }
            return [];
        }
    }
}
