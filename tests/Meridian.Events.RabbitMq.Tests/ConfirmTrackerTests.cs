namespace Meridian.Events.RabbitMq.Tests;

public sealed class ConfirmTrackerTests
{
    [Fact]
    public async Task Multiple_acks_confirm_everything_up_to_the_tag()
    {
        var tracker = new ConfirmTracker();
        var confirms = Enumerable.Range(1, 5).Select(i => tracker.Register((ulong)i)).ToArray();
        tracker.Ack(3, multiple: true);
        Assert.All(confirms[..3], c => Assert.True(c.IsCompletedSuccessfully && c.Result));
        Assert.All(confirms[3..], c => Assert.False(c.IsCompleted));
        tracker.Nack(4, multiple: false);
        Assert.False(await confirms[3]);
        Assert.False(confirms[4].IsCompleted);
    }

    [Fact]
    public async Task A_lost_channel_fails_what_is_outstanding_and_what_comes_after()
    {
        var tracker = new ConfirmTracker();
        var outstanding = tracker.Register(1);
        tracker.Fail(new IOException("gone"));
        await Assert.ThrowsAsync<IOException>(() => outstanding);
        await Assert.ThrowsAsync<IOException>(() => tracker.Register(2));
    }
}
