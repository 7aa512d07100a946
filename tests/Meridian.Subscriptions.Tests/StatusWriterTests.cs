using Meridian.Api;
using Meridian.Subscriptions.Model;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// The server's status writes never undo a client's <c>off</c>: a delivery error decided from an
/// older version must not turn a subscription its owner just switched off back into "error". Both
/// stores.
/// </summary>
public abstract class StatusWriterTests
{
    protected abstract bool Postgres { get; }

    private static string Subscription(string status) =>
        Resources.R4Subscription("Patient?", "http://127.0.0.1:9/hook").Replace("\"status\":\"requested\"", "\"status\":\"" + status + "\"", StringComparison.Ordinal);

    [Fact]
    public async Task A_delivery_error_never_overwrites_a_clients_off()
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var id = await f.CreateAsync(Subscription("off"));
        var before = (await f.ReadAsync("Subscription/" + id)).GetProperty("meta").GetProperty("versionId").GetString();
        var writer = new SubscriptionStatusWriter(f.Store, f.Api.HandleAsync);

        Assert.False(await writer.WriteAsync(FhirApi.DefaultTenant, id, SubscriptionStatusCodes.Error, "endpoint down", CancellationToken.None));
        Assert.False(await writer.WriteAsync(FhirApi.DefaultTenant, id, SubscriptionStatusCodes.Active, null, CancellationToken.None));

        var after = await f.ReadAsync("Subscription/" + id);
        Assert.Equal("off", after.GetProperty("status").GetString());
        Assert.Equal(before, after.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.False(after.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task A_delivery_error_is_written_on_an_active_subscription_and_the_server_may_turn_it_off()
    {
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var id = await f.CreateAsync(Subscription("requested"));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + id)).GetProperty("status").GetString() == "active", "active on the resource");
        var writer = new SubscriptionStatusWriter(f.Store, f.Api.HandleAsync);

        Assert.True(await writer.WriteAsync(FhirApi.DefaultTenant, id, SubscriptionStatusCodes.Error, "endpoint down", CancellationToken.None));
        var errored = await f.ReadAsync("Subscription/" + id);
        Assert.Equal("error", errored.GetProperty("status").GetString());
        Assert.Equal("endpoint down", errored.GetProperty("error").GetString());

        Assert.True(await writer.WriteAsync(FhirApi.DefaultTenant, id, SubscriptionStatusCodes.Off, null, CancellationToken.None));
        Assert.Equal("off", (await f.ReadAsync("Subscription/" + id)).GetProperty("status").GetString());
    }
}

public sealed class SqliteStatusWriterTests : StatusWriterTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresStatusWriterTests : StatusWriterTests
{
    protected override bool Postgres => true;
}
