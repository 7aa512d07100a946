using System.Text.Json;
using Meridian.Api;
using Meridian.Cli.Import;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;

namespace Meridian.Cli.Tests.Import.Support;

/// <summary>A temporary directory removed with the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("meridian-import-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// A migrated store with an in-process FhirApi over it: SQLite in a temp directory, or a fresh
/// database on the server MERIDIAN_TEST_PG names. PostgreSQL tests fail (never skip) when it is
/// not set, like tests/Meridian.Storage.Tests (test.sh starts a throwaway cluster).
/// </summary>
public sealed class ImportStore : IAsyncDisposable
{
    private readonly IFhirStore _store;
    private readonly PostgresTestDatabase? _database;
    private readonly TempDir? _dir;

    private ImportStore(IFhirStore store, string identity, PostgresTestDatabase? database, TempDir? dir, Func<CancellationToken, Task>? afterImport = null)
    {
        _store = store;
        _database = database;
        _dir = dir;
        Api = new FhirApi(store);
        Target = new InProcessTarget(Api, identity, afterImport);
    }

    public FhirApi Api { get; }

    public InProcessTarget Target { get; }

    public string? SqliteDirectory => _dir?.Path;

    public static async Task<ImportStore> SqliteAsync()
    {
        var dir = new TempDir();
        var path = dir.File("meridian.db");
        var store = new SqliteFhirStore(path);
        await store.MigrateAsync();
        return new ImportStore(store, "sqlite:" + path, null, dir);
    }

    public static async Task<ImportStore> PostgresAsync()
    {
        var database = await PostgresTestDatabase.CreateAsync();
        var cs = database.ConnectionString;
        var store = PostgresFhirStore.Create(cs);
        await store.MigrateAsync();
        return new ImportStore(store, InProcessTarget.PostgresIdentity(cs), database, null, ct => PostgresStatistics.AnalyzeAsync(cs, ct));
    }

    /// <summary>The searchset total of <c>GET type?query&amp;_summary=count</c>.</summary>
    public async Task<int> CountAsync(string type, params (string Name, string Value)[] query)
    {
        var request = new FhirRequest("GET", type)
        {
            Caller = Caller.System("import-tests"),
            Query = [.. query.Select(q => new KeyValuePair<string, string>(q.Name, q.Value)), new KeyValuePair<string, string>("_summary", "count")],
        };
        var response = await Api.HandleAsync(request);
        Assert.True(response.Status == 200, System.Text.Encoding.UTF8.GetString(response.Body.Span));
        using var doc = JsonDocument.Parse(response.Body);
        return doc.RootElement.GetProperty("total").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        if (_store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
        _dir?.Dispose();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>Wraps a target: counts commits, and can cancel or "crash" right after the Nth one.</summary>
public sealed class FaultyTarget(IImportTarget inner) : IImportTarget
{
    public int Posts { get; private set; }

    public int? CancelAfter { get; init; }

    public CancellationTokenSource? Cancellation { get; init; }

    /// <summary>Throws after the Nth commit, before the runner can checkpoint it (a crash in that window).</summary>
    public int? CrashAfter { get; init; }

    public string Identity => inner.Identity;

    public async Task<TargetReply> PostBundleAsync(ReadOnlyMemory<byte> bundle, CancellationToken cancellationToken)
    {
        var reply = await inner.PostBundleAsync(bundle, cancellationToken);
        Posts++;
        if (Posts == CancelAfter)
        {
            await Cancellation!.CancelAsync();
        }
        if (Posts == CrashAfter)
        {
            throw new InvalidOperationException("simulated crash after commit");
        }
        return reply;
    }
}

