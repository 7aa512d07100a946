using System.Text;
using System.Text.Json;
using Meridian.Api;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// A store (SQLite or PostgreSQL, fresh per test), the FHIR API over it, the subscription module
/// with short test backoffs, and a pump that feeds the change feed to the consumer the way the
/// backbone does (in commit order, position advanced after each handled batch).
/// </summary>
public sealed class SubscriptionFixture : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private readonly string? _directory;
    private readonly PostgresTestDatabase? _database;

    private SubscriptionFixture(IFhirStore store, string? directory, PostgresTestDatabase? database, SubscriptionOptions options, TimeProvider? clock)
    {
        Store = store;
        _directory = directory;
        _database = database;
        Api = new FhirApi(store);
        Module = new SubscriptionModule(store, Api.HandleAsync, options, clock: clock);
        _pump = Task.Run(() => PumpAsync(_stop.Token));
    }

    public IFhirStore Store { get; }
    public FhirApi Api { get; }
    public SubscriptionModule Module { get; }

    /// <summary>The last exception a consumer threw (the batch was offered again), for failure messages.</summary>
    public Exception? LastPumpError { get; private set; }

    /// <summary>While true the pump feeds nothing: changes committed meanwhile reach the consumer
    /// together, after later writes (a slow feed, deterministically).</summary>
    public bool Paused { get => _paused; set => _paused = value; }

    private volatile bool _paused;

    /// <summary>Held by the pump for each read-and-feed cycle (<see cref="PauseAsync"/>).</summary>
    private readonly SemaphoreSlim _pumpCycle = new(1, 1);

    /// <summary>Pauses the pump and waits for a cycle already under way: a change committed after
    /// this returns reaches no consumer until <see cref="Paused"/> is cleared. (Setting
    /// <see cref="Paused"/> alone leaves a read that started just before free to pick it up.)</summary>
    public async Task PauseAsync()
    {
        Paused = true;
        await _pumpCycle.WaitAsync();
        _pumpCycle.Release();
    }

    /// <summary>More consumers the pump feeds after the subscriptions' (clinical alerts).</summary>
    public List<Meridian.Events.IEventConsumer> ExtraConsumers { get; } = [];

    public static SubscriptionOptions FastOptions { get; } = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(300),
        PollInterval = TimeSpan.FromMilliseconds(50),
        DeliveryTimeout = TimeSpan.FromSeconds(2),
        BreakerBreakDuration = TimeSpan.FromMilliseconds(500),
        BreakerSamplingDuration = TimeSpan.FromSeconds(2),
        RetryBudget = TimeSpan.FromMinutes(10),
    };

    /// <param name="startDelivery">false: the delivery service is not started; the test drives it pass by pass.</param>
    /// <param name="clock">The module's clock (queue times, retry budget); default the system's.</param>
    public static async Task<SubscriptionFixture> CreateAsync(bool postgres, SubscriptionOptions? options = null, bool startDelivery = true, TimeProvider? clock = null)
    {
        options ??= FastOptions;
        IFhirStore store;
        string? directory = null;
        PostgresTestDatabase? database = null;
        if (postgres)
        {
            database = await PostgresTestDatabase.CreateAsync();
            store = PostgresFhirStore.Create(database.ConnectionString);
        }
        else
        {
            directory = Directory.CreateTempSubdirectory("subs-").FullName;
            store = new SqliteFhirStore(Path.Combine(directory, "meridian.db"));
        }
        await store.MigrateAsync();
        var fixture = new SubscriptionFixture(store, directory, database, options, clock);
        if (startDelivery)
        {
            await fixture.Module.Delivery.StartAsync(CancellationToken.None);
        }
        return fixture;
    }

    /// <summary>A request through the subscription interceptor to the API, as <paramref name="caller"/> (default: insecure-dev).</summary>
    public Task<FhirResponse> SendAsync(string method, string path, string? json = null, Caller? caller = null, string tenant = FhirApi.DefaultTenant, params (string Key, string Value)[] query) =>
        FhirInterceptors.RunAsync([Module.Interceptor], new FhirRequest(method, path)
        {
            Tenant = tenant,
            Caller = caller ?? Caller.InsecureDev,
            Body = json is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(json),
            Headers = new FhirRequestHeaders { ContentType = json is null ? null : "application/fhir+json" },
            Query = [.. query.Select(q => new KeyValuePair<string, string>(q.Key, q.Value))],
        }, Api.HandleAsync, CancellationToken.None);

    /// <summary>Creates a resource and returns its id.</summary>
    public async Task<string> CreateAsync(string json, Caller? caller = null, string tenant = FhirApi.DefaultTenant)
    {
        using var doc = JsonDocument.Parse(json);
        var type = doc.RootElement.GetProperty("resourceType").GetString()!;
        var response = await SendAsync("POST", type, json, caller, tenant);
        Assert.True(response.IsSuccess, $"create {type}: {response.Status} {Encoding.UTF8.GetString(response.Body.Span)}");
        using var created = JsonDocument.Parse(response.Body);
        return created.RootElement.GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> ReadAsync(string path, string tenant = FhirApi.DefaultTenant)
    {
        var response = await SendAsync("GET", path, tenant: tenant);
        Assert.True(response.IsSuccess, $"GET {path}: {response.Status} {Encoding.UTF8.GetString(response.Body.Span)}");
        using var doc = JsonDocument.Parse(response.Body);
        return doc.RootElement.Clone();
    }

    /// <summary>Waits (bounded: 60 s, or <paramref name="limit"/>) for <paramref name="condition"/>; fails the test with <paramref name="what"/> otherwise.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? limit = null)
    {
        var rounds = (int)((limit ?? TimeSpan.FromSeconds(60)).TotalMilliseconds / 50);
        for (var i = 0; i < rounds; i++)
        {
            if (await condition())
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail("timed out waiting for: " + what);
    }

    public static Task EventuallyAsync(Func<bool> condition, string what, TimeSpan? limit = null) => EventuallyAsync(() => Task.FromResult(condition()), what, limit);

    private async Task PumpAsync(CancellationToken ct)
    {
        long position = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                bool fed;
                await _pumpCycle.WaitAsync(ct);
                try
                {
                    var batch = Paused ? [] : await Store.ReadChangesAsync(position, 100, ct);
                    fed = !batch.IsEmpty;
                    if (fed)
                    {
                        await Module.Consumer.HandleAsync(batch, ct);
                        foreach (var consumer in ExtraConsumers.ToList())
                        {
                            await consumer.HandleAsync(batch, ct);
                        }
                        position = batch[^1].Sequence;
                    }
                }
                finally
                {
                    _pumpCycle.Release();
                }
                if (!fed)
                {
                    await Task.Delay(20, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LastPumpError = ex;
                // As the backbone does: the batch is offered again.
                await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump;
        await Module.DisposeAsync();
        if (Store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
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
        _stop.Dispose();
        _pumpCycle.Dispose();
    }
}
