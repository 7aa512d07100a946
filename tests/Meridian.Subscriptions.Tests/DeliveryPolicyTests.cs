using System.Text.Json;
using Meridian.Api;

namespace Meridian.Subscriptions.Tests;

/// <summary>Dead letters and replay, tenants and the creator's scopes, on both stores.</summary>
public abstract class DeliveryPolicyTests
{
    protected abstract bool Postgres { get; }

    private static readonly Caller Admin = new() { ClientId = "ops", Roles = ["admin"], Scopes = ["user/*.cruds"] };
    private static readonly Caller Clinician = new() { ClientId = "app", Roles = ["clinician"], Scopes = ["user/*.cruds"] };

    [Fact]
    public async Task After_the_retry_budget_a_notification_is_dead_lettered_and_an_admin_can_replay_it()
    {
        var port = Receiver.FreePort();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres, SubscriptionFixture.FastOptions with { RetryBudget = TimeSpan.FromSeconds(1) });
        var sub = await f.CreateAsync(Resources.R4Subscription("Patient?", $"http://127.0.0.1:{port}/hook/dl"));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");
        var patient = await f.CreateAsync(Resources.Patient("Dead"));

        JsonElement letters = default;
        await SubscriptionFixture.EventuallyAsync(async () =>
        {
            var r = await f.SendAsync("GET", "Subscription/$dead-letters", caller: Admin);
            using var doc = JsonDocument.Parse(r.Body);
            letters = doc.RootElement.Clone();
            return letters.TryGetProperty("parameter", out var p) && p.GetArrayLength() == 1;
        }, "one dead letter");
        var parts = letters.GetProperty("parameter")[0].GetProperty("part").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p);
        Assert.Equal("1", parts["event-number"].GetProperty("valueString").GetString());
        Assert.StartsWith("Patient/" + patient + "/_history/1", parts["focus"].GetProperty("valueReference").GetProperty("reference").GetString(), StringComparison.Ordinal);
        // The dead letter is recorded first, then the status (a moment later): wait for it.
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).TryGetProperty("error", out var e)
            && e.GetString()!.Contains("retry budget", StringComparison.Ordinal), "the error names the spent retry budget");

        // Not for everyone.
        Assert.Equal(403, (await f.SendAsync("GET", "Subscription/$dead-letters", caller: Clinician)).Status);
        Assert.Equal(403, (await f.SendAsync("POST", $"Subscription/{sub}/$replay", caller: Clinician)).Status);

        await using var receiver = await Receiver.StartAsync(port);
        var replay = await f.SendAsync("POST", $"Subscription/{sub}/$replay", caller: Admin);
        Assert.Equal(200, replay.Status);
        using (var doc = JsonDocument.Parse(replay.Body))
        {
            Assert.Equal(1, doc.RootElement.GetProperty("parameter")[0].GetProperty("valueInteger").GetInt32());
        }
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("dl").Count == 1, "replayed notification");
        Assert.Equal(1, receiver.Got("dl")[0].EventNumber);
        Assert.Equal("/hook/dl/Patient/" + patient, receiver.Got("dl")[0].Path);
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active again");
    }

    [Fact]
    public async Task A_subscription_sees_only_its_own_tenant()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var sub = await f.CreateAsync(Resources.R4Subscription("Patient?", receiver.Url("t")), tenant: "acme");
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub, "acme")).GetProperty("status").GetString() == "active", "active");
        var other = await f.CreateAsync(Resources.Patient("Other"), tenant: "globex");
        var mine = await f.CreateAsync(Resources.Patient("Mine"), tenant: "acme");
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("t").Count >= 1, "own tenant's notification");
        Assert.Equal(["/hook/t/Patient/" + mine], receiver.Got("t").Select(r => r.Path));
        Assert.NotEqual(mine, other);
        // The other tenant cannot see or operate on the subscription either.
        Assert.Equal(404, (await f.SendAsync("GET", $"Subscription/{sub}/$status", tenant: "globex")).Status);
    }

    [Fact]
    public async Task A_patient_scoped_subscriber_gets_only_its_patients_resources()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var p1 = await f.CreateAsync(Resources.Patient("One"));
        var p2 = await f.CreateAsync(Resources.Patient("Two"));
        var app = new Caller { ClientId = "patient-app", Scopes = ["patient/Observation.rs", "patient/Subscription.cruds"], PatientContext = p1 };
        var sub = await f.CreateAsync(Resources.R4Subscription("Observation?", receiver.Url("s")), caller: app);
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");

        var theirs = await f.CreateAsync(Resources.Observation("1", p2));
        var mine = await f.CreateAsync(Resources.Observation("1", p1));
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("s").Count >= 1, "the patient's own observation");
        Assert.Equal(["/hook/s/Observation/" + mine], receiver.Got("s").Select(r => r.Path));
        Assert.NotEqual(theirs, mine);
    }

    [Fact]
    public async Task A_subscriber_without_read_access_to_the_criteria_type_gets_an_error_and_nothing()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var app = new Caller { ClientId = "narrow", Scopes = ["user/Subscription.cruds", "user/Observation.rs"] };
        var sub = await f.CreateAsync(Resources.R4Subscription("Patient?", receiver.Url("n")), caller: app);
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "error", "error");
        Assert.Contains("creator", (await f.ReadAsync("Subscription/" + sub)).GetProperty("error").GetString(), StringComparison.Ordinal);
        await f.CreateAsync(Resources.Patient("Hidden"));
        var marker = await f.CreateAsync(Resources.R4Subscription("Observation?", receiver.Url("marker")));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + marker)).GetProperty("status").GetString() == "active", "marker active");
        await f.CreateAsync(Resources.Observation("2"));
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("marker").Count == 1, "marker notification (the feed has passed the patient)");
        Assert.Empty(receiver.Got("n"));
    }
}

public sealed class SqliteDeliveryPolicyTests : DeliveryPolicyTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresDeliveryPolicyTests : DeliveryPolicyTests
{
    protected override bool Postgres => true;
}
