using Meridian.Audit;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Mllp;
using Meridian.Hl7.Engine.Processing;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Protection;
using Meridian.Storage.Search;
using Meridian.Storage.Sqlite;

namespace Meridian.Hl7.Engine.Tests.Support;

/// <summary>The store an engine test runs on: a throwaway SQLite file or PostgreSQL database.</summary>
public abstract class EngineStore : IAsyncDisposable
{
    public abstract bool IsPostgres { get; }

    public abstract Task<IFhirStore> OpenAsync();

    public abstract ValueTask DisposeAsync();

    /// <summary>The master key the store is opened with (encryption at rest), or null for plaintext.
    /// Settable between opens (a test reopens the same database with another key).</summary>
    public MasterKey? Master { get; set; }

    /// <summary>Extra transaction contributors (a test makes transactions fail after the inbox rows were written).</summary>
    public ITransactionContributor[] ExtraContributors { get; set; } = [];

    public StoreOptions StoreOptions() => new()
    {
        Contributors = [new AuditContributor(TimeProvider.System), .. ExtraContributors],
        ChainedTypes = AuditTypes.Chained,
        Protector = Master is null ? null : new EnvelopeProtector(Master),
    };
}

public sealed class SqliteEngineStore : EngineStore
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("meridian-hl7-").FullName;

    public override bool IsPostgres => false;

    public override async Task<IFhirStore> OpenAsync()
    {
        var store = new SqliteFhirStore(Path.Combine(Directory, "meridian.db"), StoreOptions());
        await store.MigrateAsync();
        return store;
    }

    public override ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}

public sealed class PostgresEngineStore : EngineStore
{
    private PostgresTestDatabase? _database;

    public override bool IsPostgres => true;

    public string ConnectionString => _database?.ConnectionString ?? throw new InvalidOperationException("opened first");

    public override async Task<IFhirStore> OpenAsync()
    {
        _database ??= await PostgresTestDatabase.CreateAsync();
        var store = PostgresFhirStore.Create(_database.ConnectionString, StoreOptions());
        await store.MigrateAsync();
        return store;
    }

    public override async ValueTask DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>An engine listening on 127.0.0.1 (free port) over a store, restartable on the same store.</summary>
public sealed class EngineHarness : IAsyncDisposable
{
    private readonly EngineStore _owner;
    private IFhirStore _store;
    private AuditAppender _appender;

    private EngineHarness(EngineStore owner, IFhirStore store, Hl7EngineOptions options)
    {
        _owner = owner;
        _store = store;
        _appender = new AuditAppender(store);
        Options = options;
    }

    public Hl7EngineOptions Options { get; }

    public Hl7Engine Engine { get; private set; } = null!;

    public IHl7Inbox Inbox => Engine.Inbox;

    public IFhirStore Store => _store;

    public int Port => Engine.MllpEndpoint!.Port;

    internal static async Task<EngineHarness> StartAsync(EngineStore owner, Action<Hl7EngineOptions>? configure = null, IHl7MessageProcessor? processor = null)
    {
        var options = new Hl7EngineOptions { MllpPort = 0 };
        configure?.Invoke(options);
        var harness = new EngineHarness(owner, await owner.OpenAsync(), options);
        harness.Engine = Hl7Engine.Start(harness._store, harness._appender, options, processor, rescanInterval: TimeSpan.FromMilliseconds(100));
        return harness;
    }

    /// <summary>Stops the engine and its store, opens them again (a clean restart), with <paramref name="processor"/>.</summary>
    internal async Task RestartAsync(IHl7MessageProcessor? processor)
    {
        await StopAsync();
        _store = await _owner.OpenAsync();
        _appender = new AuditAppender(_store);
        Engine = Hl7Engine.Start(_store, _appender, Options, processor, rescanInterval: TimeSpan.FromMilliseconds(100));
    }

    public Task<MllpClient> ConnectAsync() => MllpClient.ConnectAsync("127.0.0.1", Port);

    /// <summary>Sends one message on a new connection and returns the ACK.</summary>
    public async Task<byte[]> SendAsync(string message)
    {
        await using var client = await ConnectAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await client.SendAsync(TestMessages.Bytes(message), timeout.Token);
    }

    /// <summary>AuditEvents recorded in a tenant.</summary>
    public async Task<long> AuditCountAsync(string tenant = "default")
    {
        var page = await _store.SearchAsync(tenant, new SearchQuery("AuditEvent") { Count = 1, Total = TotalMode.Accurate });
        return page.Total ?? -1;
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, int seconds = 30)
    {
        for (var i = 0; i < seconds * 20; i++)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return await condition();
    }

    private async Task StopAsync()
    {
        await Engine.DisposeAsync();
        await _appender.DisposeAsync();
        if (_store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
