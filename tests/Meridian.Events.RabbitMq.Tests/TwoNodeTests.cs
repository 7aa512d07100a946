namespace Meridian.Events.RabbitMq.Tests;

/// <summary>Two transports ("nodes") subscribed under one consumer name, sharing positions
/// as two servers share their database.</summary>
public sealed class TwoNodeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Each_event_is_handled_once_across_two_nodes()
    {
        await using var broker = TestBroker.FromEnvironment();
        var options = broker.Options("shared");
        var log = new HandledLog();
        var positions = new InMemoryConsumerPositions();
        await using var nodeA = new RabbitMqTransport(options);
        await using var nodeB = new RabbitMqTransport(options);
        await using var subA = await nodeA.SubscribeAsync(new RecordingConsumer("shared", log, "A"), positions, CancellationToken.None);
        await using var subB = await nodeB.SubscribeAsync(new RecordingConsumer("shared", log, "B"), positions, CancellationToken.None);
        // Both nodes publish parts of the stream, as dispatch moves between lease holders.
        for (var from = 1; from <= 300; from += 30)
            await (from % 60 == 1 ? nodeA : nodeB).PublishAsync(TestBroker.Changes(from, from + 29), CancellationToken.None);
        Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 300, Timeout), $"handled up to {log.Max()}");
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), log.Sequences());
        // Single active consumer: one node had the queue the whole time.
        Assert.Single(log.Entries().Select(e => e.Node).Distinct());
    }

    [Fact]
    public async Task When_the_active_node_goes_away_the_other_takes_over_without_a_gap()
    {
        await using var broker = TestBroker.FromEnvironment();
        var options = broker.Options("failover");
        var log = new HandledLog();
        var positions = new InMemoryConsumerPositions();
        await using var publisher = new RabbitMqTransport(options);
        await using var nodeB = new RabbitMqTransport(options);
        var nodeA = new RabbitMqTransport(options);
        var subA = await nodeA.SubscribeAsync(new RecordingConsumer("failover", log, "A") { Delay = TimeSpan.FromMilliseconds(20) }, positions, CancellationToken.None);
        await using var subB = await nodeB.SubscribeAsync(new RecordingConsumer("failover", log, "B"), positions, CancellationToken.None);
        await publisher.PublishAsync(TestBroker.Changes(1, 400), CancellationToken.None);
        Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() >= 50, Timeout), $"handled up to {log.Max()}");
        // Node A stops mid-stream (its unacknowledged messages go back to the queue).
        await subA.DisposeAsync();
        await nodeA.DisposeAsync();
        await publisher.PublishAsync(TestBroker.Changes(401, 500), CancellationToken.None);
        Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 500, Timeout), $"handled up to {log.Max()}");
        var sequences = log.Sequences();
        // Complete and in order; a redelivery may repeat a sequence, never skip or reorder one.
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), sequences.Distinct());
        Assert.True(sequences.Zip(sequences.Skip(1)).All(p => p.Second >= p.First), "out of order");
        Assert.Equal(["A", "B"], log.Entries().Select(e => e.Node).Distinct());
    }
}
