using Meridian.Api;
using Meridian.Subscriptions.Delivery;

namespace Meridian.Subscriptions.Tests;

/// <summary>
/// A dead letter replayed while later notifications of the same subscription were just sent (and
/// their delivered mark still waits for the ack flush) is due in the very next pass. Before, the
/// workers skipped every number up to the highest one sent but unmarked, the replayed one with
/// them, so it went out one pass late (after the flush). Deterministic: the delivery service is
/// driven pass by pass and the clock is pinned (the retry budget runs out when the test says so).
/// Over HTTP to a receiver on 127.0.0.1; both stores.
/// </summary>
public abstract class ReplayRaceTests
{
    protected abstract bool Postgres { get; }

    [Fact]
    public async Task A_replayed_dead_letter_goes_out_in_the_next_pass_while_later_sends_await_their_mark()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.FailWhen("r", (_, attempt) => attempt == 1);
        var clock = new PinnedClock(DateTimeOffset.UtcNow);
        await using var f = await SubscriptionFixture.CreateAsync(Postgres, startDelivery: false, clock: clock);
        var delivery = f.Module.Delivery;
        var tenant = FhirApi.DefaultTenant;
        var sub = await f.CreateAsync(Resources.R4Subscription("Patient?", receiver.Url("r")));
        await SubscriptionFixture.EventuallyAsync(async () => (await f.ReadAsync("Subscription/" + sub)).GetProperty("status").GetString() == "active", "active");
        async Task QueuedAsync(int n) => await SubscriptionFixture.EventuallyAsync(
            async () => (await f.Module.Queue.PendingAsync(tenant, sub, 100, CancellationToken.None)).Length == n, $"{n} notification(s) queued");

        // Event 1 fails once, then its retry budget runs out: a dead letter.
        var first = await f.CreateAsync(Resources.Patient("First"));
        await QueuedAsync(1);
        await delivery.RunPassAsync(CancellationToken.None);
        Assert.Single(receiver.Got("r"));
        clock.Advance(f.Module.Options.RetryBudget + TimeSpan.FromMinutes(1));
        await delivery.RunPassAsync(CancellationToken.None);
        var dead = await f.Module.Queue.DeadLettersAsync(tenant, sub, 10, CancellationToken.None);
        Assert.Equal([1L], dead.Select(e => e.EventNumber));

        // Events 2 and 3 go out; their delivered mark waits for the flush (not run: the race's window).
        var second = await f.CreateAsync(Resources.Patient("Second"));
        var third = await f.CreateAsync(Resources.Patient("Third"));
        await QueuedAsync(2);
        await delivery.RunPassAsync(CancellationToken.None);
        Assert.Equal([1L, 2L, 3L], receiver.Got("r").Select(r => r.EventNumber!.Value));
        Assert.False(delivery.Acks.IsEmpty);

        // The operator replays event 1 now: the very next pass sends it, and nothing twice.
        var replay = await f.SendAsync("POST", $"Subscription/{sub}/$replay");
        Assert.Equal(200, replay.Status);
        await delivery.RunPassAsync(CancellationToken.None);
        var got = receiver.Got("r");
        Assert.Equal([1L, 2L, 3L, 1L], got.Select(r => r.EventNumber!.Value));
        Assert.Equal(["/hook/r/Patient/" + first, "/hook/r/Patient/" + second, "/hook/r/Patient/" + third, "/hook/r/Patient/" + first], got.Select(r => r.Path));

        // After the flush everything is marked delivered (the replayed one included) and no pass re-sends.
        await delivery.FlushAcksAsync(CancellationToken.None);
        Assert.Empty(await f.Module.Queue.PendingAsync(tenant, sub, 100, CancellationToken.None));
        Assert.Empty(await f.Module.Queue.DeadLettersAsync(tenant, sub, 10, CancellationToken.None));
        await delivery.RunPassAsync(CancellationToken.None);
        Assert.Equal(4, receiver.Got("r").Count);
    }
}

public sealed class SqliteReplayRaceTests : ReplayRaceTests
{
    protected override bool Postgres => false;
}

[Collection("postgres")]
public sealed class PostgresReplayRaceTests : ReplayRaceTests
{
    protected override bool Postgres => true;
}

/// <summary>The acks keep exact runs: a number between two sent runs was not sent and is neither skipped nor marked.</summary>
public sealed class DeliveredAcksTests
{
    [Fact]
    public void Runs_are_joined_only_when_they_touch_or_overlap()
    {
        var acks = new DeliveredAcks();
        acks.Add("t", "s", 2, 3);
        acks.Add("t", "s", 7, 9);
        acks.Add("t", "s", 5, 5);
        Assert.Equal([(2L, 3L), (5L, 5L), (7L, 9L)], acks.Runs("t", "s").ToArray());
        Assert.False(acks.Contains("t", "s", 4));
        Assert.False(acks.Contains("t", "s", 1));
        Assert.True(acks.Contains("t", "s", 8));
        acks.Add("t", "s", 4, 4);
        Assert.Equal([(2L, 5L), (7L, 9L)], acks.Runs("t", "s").ToArray());
        acks.Add("t", "s", 1, 12);
        Assert.Equal([(1L, 12L)], acks.Runs("t", "s").ToArray());
        Assert.Empty(acks.Runs("t", "other"));
        Assert.Equal([("t", "s", 1L, 12L)], DeliveredAcks.Ranges(acks.Snapshot()));
    }
}
