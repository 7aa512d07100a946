using System.Collections.Concurrent;
using Meridian.Api;
using Meridian.Identity.Accounts;
using Meridian.Server.Subscriptions;
using Meridian.Storage;
using Meridian.Storage.Records;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// Revoked rights stop notifications: a subscription whose creator's client or user is revoked
/// is turned <c>off</c> with the reason at the next check and receives nothing more; the built-in
/// identity server's check names a removed client and a disabled or deleted user. Both stores.
/// </summary>
public abstract class CreatorRevocationTests(bool postgres)
{
    private static readonly Caller App = new() { ClientId = "ward-app", UserId = "u-17", Scopes = ["user/*.cruds"], TokenTenant = FhirApi.DefaultTenant };

    [Fact]
    public async Task A_revoked_creator_turns_its_subscription_off_with_the_reason_and_stops_deliveries()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(postgres);
        var revoked = new ConcurrentDictionary<string, string>();
        var monitor = new CreatorRightsMonitor(f.Module.Registry, f.Module.Lifecycle,
            (_, creator, _) => Task.FromResult(creator.ClientId is { } c && revoked.TryGetValue(c, out var why) ? why : null), TimeSpan.FromMinutes(1));
        var sub = await f.CreateAsync(Resources.R4Subscription("Patient?", receiver.Url("rv")), caller: App);
        var other = await f.CreateAsync(Resources.R4Subscription("Patient?", receiver.Url("other")));
        foreach (var id in new[] { sub, other })
            await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + id)).GetProperty("status").GetString() == "active", "active");

        var before = await f.CreateAsync(Resources.Patient("Before"));
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("rv").Count >= 1, "delivered while the rights hold");
        Assert.Equal(0, await monitor.CheckAsync(CancellationToken.None));

        revoked["ward-app"] = "client ward-app is no longer registered";
        Assert.Equal(1, await monitor.CheckAsync(CancellationToken.None));
        var resource = await f.ReadAsync("Subscription/" + sub);
        Assert.Equal("off", resource.GetProperty("status").GetString());
        Assert.Equal(CreatorRightsMonitor.ReasonPrefix + "client ward-app is no longer registered", resource.GetProperty("error").GetString());
        Assert.Null(f.Module.Registry.Find(FhirApi.DefaultTenant, sub));

        var after = await f.CreateAsync(Resources.Patient("After"));
        // The other subscription gets the later patient; by then the revoked one would have too.
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("other").Any(r => r.Path.EndsWith("/Patient/" + after, StringComparison.Ordinal)), "the unaffected subscription");
        await Task.Delay(300);
        Assert.Equal(["/hook/rv/Patient/" + before], receiver.Got("rv").Select(r => r.Path));
        Assert.Equal("off", (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString());
        // A second pass finds nothing more to revoke (the subscription is no longer served).
        Assert.Equal(0, await monitor.CheckAsync(CancellationToken.None));
        await monitor.DisposeAsync();
    }

    [Fact]
    public async Task The_built_in_identity_check_names_a_removed_client_and_a_disabled_or_deleted_user()
    {
        await using var f = await SubscriptionFixture.CreateAsync(postgres);
        var records = f.Store.Find<ISystemRecordStore>()!;
        var identity = new IdentityStore(records);
        var check = IdentityRevocationCheck.For(records);
        var tenant = FhirApi.DefaultTenant;
        Assert.True(await identity.PutAsync(tenant, IdentityStore.Clients, "ward-app",
            new ClientRegistration { ClientId = "ward-app", AuthMethod = ClientAuthMethods.None }, SystemRecord.Absent, null, CancellationToken.None));
        Assert.True(await identity.PutAsync(tenant, IdentityStore.Users, "nurse",
            new UserAccount { Username = "nurse", UserId = "u-17", PasswordHash = "x" }, SystemRecord.Absent, null, CancellationToken.None));

        Assert.Null(await check(tenant, App, CancellationToken.None));
        // The server's own pipelines and insecure-dev have no account to lose.
        Assert.Null(await check(tenant, Caller.System("meridian-subscriptions"), CancellationToken.None));
        Assert.Null(await check(tenant, Caller.InsecureDev, CancellationToken.None));

        var user = (await identity.GetAsync<UserAccount>(tenant, IdentityStore.Users, "nurse", CancellationToken.None))!;
        Assert.True(await identity.PutAsync(tenant, IdentityStore.Users, "nurse", user.Value with { Disabled = true }, user.Version, null, CancellationToken.None));
        Assert.Equal("user nurse is disabled", await check(tenant, App, CancellationToken.None));
        user = (await identity.GetAsync<UserAccount>(tenant, IdentityStore.Users, "nurse", CancellationToken.None))!;
        Assert.True(await identity.DeleteAsync(tenant, IdentityStore.Users, "nurse", user.Version, CancellationToken.None));
        Assert.Equal("user u-17 no longer exists", await check(tenant, App, CancellationToken.None));

        var client = (await identity.GetAsync<ClientRegistration>(tenant, IdentityStore.Clients, "ward-app", CancellationToken.None))!;
        Assert.True(await identity.DeleteAsync(tenant, IdentityStore.Clients, "ward-app", client.Version, CancellationToken.None));
        Assert.Equal("client ward-app is no longer registered", await check(tenant, App, CancellationToken.None));
        Assert.Null(await check(tenant, App with { ClientId = null, UserId = null }, CancellationToken.None));
    }
}

public sealed class SqliteCreatorRevocationTests() : CreatorRevocationTests(postgres: false);

[Collection("postgres")]
public sealed class PostgresCreatorRevocationTests() : CreatorRevocationTests(postgres: true);
