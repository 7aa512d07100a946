namespace Meridian.Events.RabbitMq.Tests;

/// <summary>One node against the real broker: order, at-least-once, duplicates, failing handlers.</summary>
public sealed class DeliveryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_stream_arrives_complete_and_in_commit_order()
    {
        await using var broker = TestBroker.FromEnvironment();
        await using var transport = new RabbitMqTransport(broker.Options("orders"));
        var log = new HandledLog();
        var positions = new InMemoryConsumerPositions();
        // Half of the stream is published before anyone subscribes (the publisher declared the queue).
        for (var from = 1; from <= 250; from += 50) await transport.PublishAsync(TestBroker.Changes(from, from + 49), CancellationToken.None);
        await using (await transport.SubscribeAsync(new RecordingConsumer("orders", log), positions, CancellationToken.None))
        {
            for (var from = 251; from <= 500; from += 25) await transport.PublishAsync(TestBroker.Changes(from, from + 24), CancellationToken.None);
            Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 500, Timeout), $"handled up to {log.Max()}");
        }
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (long)i), log.Sequences());
        Assert.Equal(500, positions["orders"]);
    }

    [Fact]
    public async Task Republished_events_are_skipped_by_sequence()
    {
        await using var broker = TestBroker.FromEnvironment();
        await using var transport = new RabbitMqTransport(broker.Options("dupes"));
        var log = new HandledLog();
        var positions = new InMemoryConsumerPositions();
        await transport.PublishAsync(TestBroker.Changes(1, 100), CancellationToken.None);
        // A dispatcher that crashed after the confirms but before saving its position publishes again.
        await transport.PublishAsync(TestBroker.Changes(51, 150), CancellationToken.None);
        await using (await transport.SubscribeAsync(new RecordingConsumer("dupes", log), positions, CancellationToken.None))
        {
            Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 150, Timeout), $"handled up to {log.Max()}");
            Assert.True(await TestBroker.WaitUntilAsync(async () => await broker.MessageCountAsync("dupes") == 0, Timeout));
        }
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), log.Sequences());
    }

    [Fact]
    public async Task A_handler_that_throws_then_recovers_leaves_no_gap_and_no_reorder()
    {
        await using var broker = TestBroker.FromEnvironment();
        await using var transport = new RabbitMqTransport(broker.Options("flaky"));
        var log = new HandledLog();
        var consumer = new RecordingConsumer("flaky", log).FailOnce(1, 37, 38, 120, 200);
        await transport.PublishAsync(TestBroker.Changes(1, 100), CancellationToken.None);
        await using (await transport.SubscribeAsync(consumer, new InMemoryConsumerPositions(), CancellationToken.None))
        {
            await transport.PublishAsync(TestBroker.Changes(101, 200), CancellationToken.None);
            Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 200, Timeout), $"handled up to {log.Max()}");
        }
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), log.Sequences());
        Assert.True(consumer.Failures >= 4, $"failures: {consumer.Failures}");
    }

    [Fact]
    public async Task A_batch_that_keeps_failing_is_released_to_the_queue_and_comes_back_in_order()
    {
        await using var broker = TestBroker.FromEnvironment();
        var options = broker.Options("stubborn") with { ReleaseAfterFailures = 2 };
        await using var transport = new RabbitMqTransport(options);
        var log = new HandledLog();
        // Seven failures in a row at 50: the subscription gives the queue back three times.
        var consumer = new RecordingConsumer("stubborn", log).FailTimes(50, 7);
        await transport.PublishAsync(TestBroker.Changes(1, 150), CancellationToken.None);
        await using (await transport.SubscribeAsync(consumer, new InMemoryConsumerPositions(), CancellationToken.None))
        {
            Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 150, Timeout), $"handled up to {log.Max()}");
        }
        Assert.Equal(Enumerable.Range(1, 150).Select(i => (long)i), log.Sequences());
        Assert.Equal(7, consumer.Failures);
    }
}
