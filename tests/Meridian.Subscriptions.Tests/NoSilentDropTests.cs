using Meridian.Api;
using Meridian.Storage;
using Meridian.Subscriptions.Tests.Support;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// A committed change is matched, retried, or recorded as dropped -- never skipped in silence.
/// Each test pins one cause deterministically: a second module (as after a restart) over the
/// same database, a store or API double that fails in one chosen way, and the consumer fed by
/// hand with the change the first module's (paused) pump never saw. Both stores.
/// </summary>
public abstract class NoSilentDropTests
{
    protected abstract bool Postgres { get; }

    // Not insecure-dev: the creator's read check is a real search through the API.
    private static readonly Caller Creator = new() { ClientId = "app", Scopes = ["user/Subscription.cruds", "user/Patient.rs"] };

    private sealed record Setup(SubscriptionFixture Fixture, string Subscription, ChangeRecord Change) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Fixture.DisposeAsync();
    }

    /// <summary>An active subscription (Patient?) of <see cref="Creator"/>, then one Patient written
    /// while the fixture's pump is paused: its change is returned, matched by nobody yet.</summary>
    private async Task<Setup> SetUpAsync()
    {
        var f = await SubscriptionFixture.CreateAsync(Postgres);
        var sub = await f.CreateAsync(Resources.R4Subscription("Patient?", $"http://127.0.0.1:{Receiver.FreePort()}/hook/x"), caller: Creator);
        await SubscriptionFixture.EventuallyAsync(() => f.Module.Registry.Find(FhirApi.DefaultTenant, sub)?.Definition.Status == "active", "active");
        await SubscriptionFixture.EventuallyAsync(async () => (await f.Module.Queue.GetStateAsync(FhirApi.DefaultTenant, sub, default))?.Status == "active", "active in the queue");
        // And on the resource (written last): a module loading it while it still says "requested"
        // would validate the criteria again, through the test's failing API.
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active on the resource");
        await f.PauseAsync();
        var patient = await f.CreateAsync(Resources.Patient("Drop"));
        var changes = await f.Store.ReadChangesAsync(0, 1000);
        return new Setup(f, sub, changes.Single(c => c.Type == "Patient" && c.Id == patient));
    }

    private static async Task<long> QueuedAsync(SubscriptionModule module, string sub) =>
        (await module.Queue.GetStateAsync(FhirApi.DefaultTenant, sub, default))!.LastEventNumber;

    [Fact]
    public async Task A_batch_that_arrives_while_the_start_up_load_is_running_waits_for_it()
    {
        // The crash test's lost notification: after a restart the delivery loop's load of the
        // subscriptions and the feed's first batch ran together; the batch saw the tenant "loaded"
        // (its view already in the registry, still empty), matched nothing, and moved on.
        await using var s = await SetUpAsync();
        var store = new FaultyStore(s.Fixture.Store) { GateSearchOf = "Subscription" };
        await using var restarted = new SubscriptionModule(store, s.Fixture.Api.HandleAsync, SubscriptionFixture.FastOptions);
        var load = restarted.Lifecycle.LoadAllAsync(CancellationToken.None);
        await store.GateReached.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var batch = restarted.Consumer.HandleAsync([s.Change], CancellationToken.None);
        store.Release();
        await load;
        await batch;
        Assert.Equal(1, await QueuedAsync(restarted, s.Subscription));
    }

    [Fact]
    public async Task A_version_that_cannot_be_read_is_matched_on_the_search_path()
    {
        await using var s = await SetUpAsync();
        var store = new FaultyStore(s.Fixture.Store) { NoVersionOf = s.Change.Id };
        await using var module = new SubscriptionModule(store, s.Fixture.Api.HandleAsync, SubscriptionFixture.FastOptions);
        await module.Consumer.HandleAsync([s.Change], CancellationToken.None);
        Assert.Equal(1, await QueuedAsync(module, s.Subscription));
        Assert.Equal(0, module.Metrics.DroppedTotal);
    }

    [Fact]
    public async Task A_version_not_visible_yet_fails_the_batch_and_a_purged_one_is_counted_as_dropped()
    {
        await using var s = await SetUpAsync();
        var store = new FaultyStore(s.Fixture.Store) { NoVersionOf = s.Change.Id, Current = r => r! with { VersionId = s.Change.VersionId - 1 } };
        await using var module = new SubscriptionModule(store, s.Fixture.Api.HandleAsync, SubscriptionFixture.FastOptions);
        await Assert.ThrowsAsync<MatchUnavailableException>(() => module.Consumer.HandleAsync([s.Change], CancellationToken.None));
        Assert.Equal(0, await QueuedAsync(module, s.Subscription));

        store.Current = _ => null;
        await module.Consumer.HandleAsync([s.Change], CancellationToken.None);
        Assert.Equal(0, await QueuedAsync(module, s.Subscription));
        Assert.Equal(1, module.Metrics.DroppedTotal);
    }

    [Fact]
    public async Task A_server_error_while_matching_fails_the_batch_so_it_is_offered_again()
    {
        await using var s = await SetUpAsync();
        var failing = true;
        Task<FhirResponse> Api(FhirRequest r, CancellationToken ct) =>
            failing && r.Method == "GET" && r.Path == "Patient" ? Task.FromResult(FhirResponse.Error(503, "transient", "database restarting")) : s.Fixture.Api.HandleAsync(r, ct);
        await using var module = new SubscriptionModule(s.Fixture.Store, Api, SubscriptionFixture.FastOptions);
        var thrown = await Assert.ThrowsAsync<MatchUnavailableException>(() => module.Consumer.HandleAsync([s.Change], CancellationToken.None));
        Assert.Contains("503", thrown.Message, StringComparison.Ordinal);
        Assert.Equal(0, await QueuedAsync(module, s.Subscription));

        failing = false;
        await module.Consumer.HandleAsync([s.Change], CancellationToken.None);
        Assert.Equal(1, await QueuedAsync(module, s.Subscription));
        Assert.Equal(0, module.Metrics.DroppedTotal);
    }

    [Fact]
    public async Task A_creator_who_lost_access_drops_the_notification_visibly()
    {
        await using var s = await SetUpAsync();
        Task<FhirResponse> Api(FhirRequest r, CancellationToken ct) =>
            r.Method == "GET" && r.Path == "Patient" ? Task.FromResult(FhirResponse.Error(403, "forbidden", "scope revoked")) : s.Fixture.Api.HandleAsync(r, ct);
        await using var module = new SubscriptionModule(s.Fixture.Store, Api, SubscriptionFixture.FastOptions);
        await module.Consumer.HandleAsync([s.Change], CancellationToken.None);
        var state = await module.Queue.GetStateAsync(FhirApi.DefaultTenant, s.Subscription, default);
        Assert.Equal(0, state!.LastEventNumber);
        Assert.Equal(1, module.Metrics.DroppedTotal);
        Assert.Contains("no longer read", state.LastError, StringComparison.Ordinal);
        Assert.Contains("403", state.LastError, StringComparison.Ordinal);
    }
}

public sealed class SqliteNoSilentDropTests : NoSilentDropTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresNoSilentDropTests : NoSilentDropTests
{
    protected override bool Postgres => true;
}
