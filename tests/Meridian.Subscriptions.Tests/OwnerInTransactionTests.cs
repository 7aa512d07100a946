using System.Text;
using System.Text.Json;
using Meridian.Api;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// The creator of a Subscription commits in the Subscription's own transaction: a process killed
/// right after the commit (before anything the interceptor does afterwards) still leaves the owner
/// on record, so the subscription is served. Fault injection: the API's answer is replaced by a
/// crash after the store committed. Both stores.
/// </summary>
public abstract class OwnerInTransactionTests
{
    protected abstract bool Postgres { get; }

    private static FhirRequest Request(string method, string path, string? json, Caller caller, string? ifMatch = null) => new(method, path)
    {
        Tenant = FhirApi.DefaultTenant,
        Caller = caller,
        Body = json is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(json),
        Headers = new FhirRequestHeaders { ContentType = json is null ? null : "application/fhir+json", IfMatch = ifMatch },
    };

    /// <summary>Runs the request through the subscription interceptor into the API, which commits and then "dies".</summary>
    private static async Task<FhirResponse?> CrashAfterCommitAsync(SubscriptionFixture f, FhirRequest request)
    {
        FhirResponse? committed = null;
        await Assert.ThrowsAsync<InvalidOperationException>(() => FhirInterceptors.RunAsync([f.Module.Interceptor], request, async (r, ct) =>
        {
            committed = await f.Api.HandleAsync(r, ct);
            throw new InvalidOperationException("killed between the Subscription's commit and anything after it");
        }, CancellationToken.None));
        return committed;
    }

    [Fact]
    public async Task A_crash_right_after_the_create_commits_leaves_the_owner_on_record_and_the_subscription_is_served()
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var caller = Caller.InsecureDev with { ClientId = "creator-app", UserId = "dr-who" };
        var committed = await CrashAfterCommitAsync(f, Request("POST", "Subscription", Resources.R4Subscription("Patient?", "http://127.0.0.1:9/hook"), caller));
        Assert.NotNull(committed);
        Assert.Equal(201, committed.Status);
        using var doc = JsonDocument.Parse(committed.Body);
        var id = doc.RootElement.GetProperty("id").GetString()!;

        var state = await f.Module.Queue.GetStateAsync(FhirApi.DefaultTenant, id, CancellationToken.None);
        Assert.NotNull(state);
        Assert.NotNull(state.Owner);
        var owner = OwnerCodec.Decode(state.Owner);
        Assert.Equal("creator-app", owner.ClientId);
        Assert.Equal("dr-who", owner.UserId);

        // Served: the lifecycle finds the creator on record and activates it (no awaiting-creator limbo).
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + id)).GetProperty("status").GetString() == "active", "the subscription turns active");
    }

    [Fact]
    public async Task An_update_records_its_caller_as_the_new_owner_in_the_same_commit_and_a_failed_one_changes_nothing()
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var id = await f.CreateAsync(Resources.R4Subscription("Patient?", "http://127.0.0.1:9/hook"), Caller.InsecureDev with { ClientId = "first" });
        var body = Resources.R4Subscription("Patient?", "http://127.0.0.1:9/other").Replace("{\"resourceType\":\"Subscription\",", "{\"resourceType\":\"Subscription\",\"id\":\"" + id + "\",", StringComparison.Ordinal);

        // A lost If-Match: the request's transaction rolls back, and the owner row with it.
        var conflict = await FhirInterceptors.RunAsync([f.Module.Interceptor], Request("PUT", "Subscription/" + id, body, Caller.InsecureDev with { ClientId = "intruder" }, ifMatch: "W/\"99\""), f.Api.HandleAsync, CancellationToken.None);
        Assert.Equal(412, conflict.Status);
        Assert.Equal("first", OwnerCodec.Decode((await f.Module.Queue.GetStateAsync(FhirApi.DefaultTenant, id, CancellationToken.None))!.Owner!).ClientId);

        var committed = await CrashAfterCommitAsync(f, Request("PUT", "Subscription/" + id, body, Caller.InsecureDev with { ClientId = "second" }));
        Assert.NotNull(committed);
        Assert.True(committed.IsSuccess);
        Assert.Equal("second", OwnerCodec.Decode((await f.Module.Queue.GetStateAsync(FhirApi.DefaultTenant, id, CancellationToken.None))!.Owner!).ClientId);
    }
}

public sealed class SqliteOwnerInTransactionTests : OwnerInTransactionTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresOwnerInTransactionTests : OwnerInTransactionTests
{
    protected override bool Postgres => true;
}
