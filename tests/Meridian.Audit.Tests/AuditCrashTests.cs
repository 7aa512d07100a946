using System.Data.Common;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Meridian.Audit.Tests.Support;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Meridian.Audit.Tests;

/// <summary>
/// A server process killed with SIGKILL in the middle of a concurrent write burst: after
/// restart every stored resource version has its AuditEvent (they commit together), every
/// acknowledged write is there, and the audit chain verifies.
/// </summary>
public abstract class AuditCrashTests
{
    protected abstract string[] StoreArguments { get; }

    protected abstract DbConnection OpenRaw();

    protected abstract IFhirStore OpenStore(StoreOptions options);

    [Fact]
    public async Task A_killed_server_leaves_no_resource_version_without_its_audit_event()
    {
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        using (var child = await ChildServer.StartAsync(StoreArguments))
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
            var written = 0;
            using var enough = new SemaphoreSlim(0, 1);
            var clients = Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
            {
                try
                {
                    for (var i = 0; i < 500; i++)
                    {
                        var body = $$$"""{"resourceType":"Patient","name":[{"family":"Crash{{{c}}}-{{{i}}}"}]}""";
                        using var created = await http.PostAsync($"{child.Root}/Patient", new StringContent(body, Encoding.UTF8, "application/fhir+json"));
                        var location = created.Headers.Location!.ToString();
                        acknowledged.Add(location[(location.IndexOf("/Patient/", StringComparison.Ordinal) + 1)..]);
                        var id = location.Split('/')[^3];
                        var update = $$$"""{"resourceType":"Patient","id":"{{{id}}}","name":[{"family":"Again{{{c}}}-{{{i}}}"}]}""";
                        using var updated = await http.PutAsync($"{child.Root}/Patient/{id}", new StringContent(update, Encoding.UTF8, "application/fhir+json"));
                        if (updated.IsSuccessStatusCode && updated.Headers.ETag is { } etag)
                        {
                            acknowledged.Add($"Patient/{id}/_history/{etag.Tag.Trim('"')}");
                        }
                        if (Interlocked.Add(ref written, 2) is >= 120 and < 122)
                        {
                            enough.Release();
                        }
                    }
                }
                catch (HttpRequestException)
                {
                    // The server died under us: expected once it is killed.
                }
                catch (TaskCanceledException)
                {
                }
            })).ToList();
            Assert.True(await enough.WaitAsync(TimeSpan.FromMinutes(3)), "the burst never reached 120 writes");
            child.KillHard();
            await Task.WhenAll(clients);
        }

        // Restart: open the store as the server would (migrations re-run as a no-op; AuditEvent
        // indexing deferred). Start-up wakes the deferred indexer: it indexes every AuditEvent
        // the killed server left unindexed, with nobody searching.
        var store = OpenStore(new StoreOptions { ChainedTypes = AuditTypes.Chained, DeferredIndexTypes = AuditTypes.DeferredIndex, DeferredIndexDelay = TimeSpan.FromMilliseconds(10) });
        await store.MigrateAsync();
        var (events, indexed) = (0L, -1L);
        for (var attempt = 0; attempt < 600 && indexed != events; attempt++)
        {
            await Task.Delay(50);
            (events, indexed) = await CountIndexedAuditEventsAsync();
        }
        Assert.True(events > 0 && indexed == events, $"{indexed} of {events} AuditEvents indexed after restart");
        var search = await store.SearchAsync("default", new Storage.Search.SearchQuery(AuditTypes.AuditEvent) { Count = 0, Total = Storage.Search.TotalMode.Accurate });
        Assert.Equal(events, search.Total);
        await ((IAsyncDisposable)store).DisposeAsync();

        var versions = new List<string>();
        var audited = new HashSet<string>(StringComparer.Ordinal);
        await using (var connection = OpenRaw())
        {
            await connection.OpenAsync();
            await using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "SELECT type, id, version FROM resources WHERE tenant = 'default' AND type <> 'AuditEvent'";
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    versions.Add($"{reader.GetString(0)}/{reader.GetString(1)}/_history/{reader.GetInt64(2)}");
                }
            }
            await using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "SELECT json FROM resources WHERE tenant = 'default' AND type = 'AuditEvent'";
                await using var reader = await cmd.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    using var doc = JsonDocument.Parse(reader.GetFieldValue<byte[]>(0));
                    if (doc.RootElement.TryGetProperty("entity", out var entities))
                    {
                        foreach (var e in entities.EnumerateArray())
                        {
                            if (e.TryGetProperty("what", out var what) && what.TryGetProperty("reference", out var r))
                            {
                                audited.Add(r.GetString()!);
                            }
                        }
                    }
                }
            }
        }
        Assert.True(versions.Count >= 120, $"only {versions.Count} versions survived");
        var unaudited = versions.Where(v => !audited.Contains(v)).ToList();
        Assert.True(unaudited.Count == 0, "versions without an AuditEvent: " + string.Join(", ", unaudited.Take(5)));
        var lost = acknowledged.Where(a => !versions.Contains(a)).ToList();
        Assert.True(lost.Count == 0, "acknowledged writes lost: " + string.Join(", ", lost.Take(5)));

        var (exit, output, err) = await MeridianCommand.Run(["audit", "verify", .. StoreArguments, "--tenant", "default"]);
        Assert.True(exit == 0, output + err);
    }

    /// <summary>AuditEvents stored, and how many of them have index rows (every AuditEvent has a
    /// <c>type</c> token).</summary>
    private async Task<(long Events, long Indexed)> CountIndexedAuditEventsAsync()
    {
        await using var connection = OpenRaw();
        await connection.OpenAsync();
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT (SELECT COUNT(*) FROM resources WHERE tenant = 'default' AND type = 'AuditEvent'), "
            + "(SELECT COUNT(DISTINCT resource_key) FROM token_index WHERE tenant = 'default' AND type = 'AuditEvent' AND param = 'type')";
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}

public sealed class SqliteAuditCrashTests : AuditCrashTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-crash-").FullName;

    protected override string[] StoreArguments => ["--data", _dir];

    protected override DbConnection OpenRaw() => new SqliteConnection($"Data Source={Path.Combine(_dir, "meridian.db")};Pooling=False");

    protected override IFhirStore OpenStore(StoreOptions options) => new SqliteFhirStore(Path.Combine(_dir, "meridian.db"), options);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class PostgresAuditCrashTests : AuditCrashTests, IAsyncLifetime
{
    private PostgresTestDatabase? _database;

    protected override string[] StoreArguments => ["--store", "postgres", "--connection", _database!.ConnectionString];

    protected override DbConnection OpenRaw() => new NpgsqlConnection(_database!.AdminConnectionString);

    protected override IFhirStore OpenStore(StoreOptions options) => PostgresFhirStore.Create(_database!.ConnectionString, options);

    public async Task InitializeAsync() => _database = await PostgresTestDatabase.CreateAsync();

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
