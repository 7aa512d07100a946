using System.Text.Json;

namespace Meridian.Subscriptions.Tests;

/// <summary>R4 criteria subscriptions over rest-hook, on both stores.</summary>
public abstract class RestHookTests
{
    protected abstract bool Postgres { get; }

    [Fact]
    public async Task Criteria_match_is_delivered_and_non_match_is_not()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var sub = await f.CreateAsync(Resources.R4Subscription("Observation?code=http://loinc.org|1234-5", receiver.Url("a")));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "subscription active");

        var first = await f.CreateAsync(Resources.Observation("1234-5"));
        var other = await f.CreateAsync(Resources.Observation("9999-9"));
        var second = await f.CreateAsync(Resources.Observation("1234-5"));

        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("a").Count >= 2, "two notifications");
        var got = receiver.Got("a");
        // Per-subscription order and numbering: the non-match sat between the two and was never sent.
        Assert.Equal(["/hook/a/Observation/" + first, "/hook/a/Observation/" + second], got.Select(r => r.Path));
        Assert.All(got, r => Assert.Equal("PUT", r.Method));
        Assert.Equal([1L, 2L], got.Select(r => r.EventNumber!.Value));
        Assert.DoesNotContain(got, r => r.Path.Contains(other, StringComparison.Ordinal));
        using var body = JsonDocument.Parse(got[0].Body);
        Assert.Equal(first, body.RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Empty_payload_posts_nothing_with_the_custom_headers()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var sub = await f.CreateAsync(Resources.R4Subscription("Patient?family=Chalmers", receiver.Url("p"), payload: null, "Authorization: Bearer secret-123", "X-Tenant-Key: k1"));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");
        await f.CreateAsync(Resources.Patient("Chalmers"));

        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("p").Count == 1, "one notification");
        var r = receiver.Got("p")[0];
        Assert.Equal("POST", r.Method);
        Assert.Equal("/hook/p", r.Path);
        Assert.Empty(r.Body);
        Assert.Equal("Bearer secret-123", r.Headers["Authorization"]);
        Assert.Equal("k1", r.Headers["X-Tenant-Key"]);
        Assert.Equal(sub, r.Headers["X-Meridian-Subscription"]);
        Assert.Equal(1, r.EventNumber);
    }

    [Fact]
    public async Task A_receiver_down_for_a_long_stretch_gets_everything_in_order_and_status_returns_to_active()
    {
        var port = Receiver.FreePort();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var url = $"http://127.0.0.1:{port}/hook/late";
        var sub = await f.CreateAsync(Resources.R4Subscription("Observation?code=http://loinc.org|1", url));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await f.CreateAsync(Resources.Observation("1")));
        }
        // Nobody listens: the subscription shows error with the last error, and keeps the queue.
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "error", "status error");
        var erring = await f.ReadAsync("Subscription/" + sub);
        Assert.Contains("cannot reach", erring.GetProperty("error").GetString(), StringComparison.Ordinal);
        await SubscriptionFixture.EventuallyAsync(async () => (await f.Module.Queue.PendingAsync("default", sub, 100, CancellationToken.None)).Any(e => e.Attempts >= 3), "several attempts");

        await using var receiver = await Receiver.StartAsync(port);
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("late").Count >= 8, "all eight after the receiver returns");
        var got = receiver.Got("late");
        Assert.Equal(ids.Select(id => "/hook/late/Observation/" + id), got.Select(r => r.Path));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), got.Select(r => r.EventNumber!.Value));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "back to active");
        Assert.False((await f.ReadAsync("Subscription/" + sub)).TryGetProperty("error", out _));
    }

    [Fact]
    public async Task A_hanging_endpoint_does_not_delay_another()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Hang("stuck");
        await using var f = await SubscriptionFixture.CreateAsync(Postgres, SubscriptionFixture.FastOptions with { DeliveryTimeout = TimeSpan.FromMinutes(5) });
        // Same criteria, two subscriptions; the hanging one is on another host name so its limits are its own.
        var stuck = await f.CreateAsync(Resources.R4Subscription("Patient?", $"http://localhost:{receiver.Port}/hook/stuck"));
        var fine = await f.CreateAsync(Resources.R4Subscription("Patient?", receiver.Url("fine")));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + stuck)).GetProperty("status").GetString() == "active"
            && (await f.ReadAsync("Subscription/" + fine)).GetProperty("status").GetString() == "active", "both active");
        // First the stuck endpoint is hanging on its first notification (waited for: under load the
        // healthy deliveries could otherwise all finish before the stuck request even arrives)...
        await f.CreateAsync(Resources.Patient("P0"));
        await SubscriptionFixture.EventuallyAsync(() => receiver.HangingNow == 1, "the stuck endpoint to hang on its first notification");
        // ...then everything else reaches the healthy endpoint while it hangs.
        for (var i = 1; i < 5; i++)
        {
            await f.CreateAsync(Resources.Patient("P" + i));
        }
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("fine").Count == 5, "all five to the healthy endpoint");
        Assert.Equal(1, receiver.HangingNow); // still hanging: nothing was delivered to it meanwhile
        Assert.Equal(5, (await f.Module.Queue.PendingAsync("default", stuck, 100, CancellationToken.None)).Length);
    }

    [Fact]
    public async Task Many_subscriptions_on_one_batch_each_get_every_match_in_order()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var subs = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            // Half match every patient, half only family Even.
            subs.Add(await f.CreateAsync(Resources.R4Subscription(i % 2 == 0 ? "Patient?" : "Patient?family=Even", receiver.Url("m" + i))));
        }
        await SubscriptionFixture.EventuallyAsync(async () =>
        {
            foreach (var s in subs)
            {
                if ((await f.ReadAsync("Subscription/" + s)).GetProperty("status").GetString() != "active")
                {
                    return false;
                }
            }
            return true;
        }, "all active");
        // One transaction: the consumer sees all of it in one batch.
        var entries = string.Join(",", Enumerable.Range(0, 30).Select(i =>
            "{\"resource\":" + Resources.Patient(i % 2 == 0 ? "Even" : "Odd") + ",\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}}"));
        var tx = await f.SendAsync("POST", "", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" + entries + "]}");
        Assert.True(tx.IsSuccess, System.Text.Encoding.UTF8.GetString(tx.Body.Span));
        using var result = JsonDocument.Parse(tx.Body);
        var created = result.RootElement.GetProperty("entry").EnumerateArray()
            .Select(e => e.GetProperty("response").GetProperty("location").GetString()!.Split('/'))
            .Select(parts => parts[Array.IndexOf(parts, "Patient") + 1]).ToList();
        await SubscriptionFixture.EventuallyAsync(() => Enumerable.Range(0, 12).All(i => receiver.Got("m" + i).Count == (i % 2 == 0 ? 30 : 15)), "every subscription's matches");
        for (var i = 0; i < 12; i++)
        {
            var expected = created.Where((_, k) => i % 2 == 0 || k % 2 == 0).Select(id => $"/hook/m{i}/Patient/{id}");
            Assert.Equal(expected, receiver.Got("m" + i).Select(r => r.Path));
            Assert.Equal(Enumerable.Range(1, i % 2 == 0 ? 30 : 15).Select(n => (long)n), receiver.Got("m" + i).Select(r => r.EventNumber!.Value));
        }
    }

    [Fact]
    public async Task Receivers_deduplicate_by_event_number_after_a_retry()
    {
        await using var receiver = await Receiver.StartAsync();
        // The receiver processes event 2 but answers 500 once: it comes again with the same number.
        receiver.FailWhen("d", (r, attempt) => r.EventNumber == 2 && attempt == 2);
        await using var f = await SubscriptionFixture.CreateAsync(Postgres);
        var sub = await f.CreateAsync(Resources.R4Subscription("Patient?", receiver.Url("d")));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");
        for (var i = 0; i < 3; i++)
        {
            await f.CreateAsync(Resources.Patient("D" + i));
        }
        await SubscriptionFixture.EventuallyAsync(() => receiver.Got("d").Count >= 4, "four requests");
        var numbers = receiver.Got("d").Select(r => r.EventNumber!.Value).ToList();
        Assert.Equal([1L, 2L, 2L, 3L], numbers);
        Assert.Equal([1L, 2L, 3L], numbers.Distinct());
    }
}

public sealed class SqliteRestHookTests : RestHookTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresRestHookTests : RestHookTests
{
    protected override bool Postgres => true;
}
