using Xunit.Abstractions;

namespace Meridian.Events.RabbitMq.Tests;

/// <summary>The broker goes away in the middle of a stream and comes back on the same data:
/// nothing confirmed is lost, publishing and consuming resume by themselves.</summary>
public sealed class BrokerRestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_broker_restart_mid_stream_loses_nothing(bool kill)
    {
        await using var node = await PrivateBroker.StartAsync();
        await using var broker = TestBroker.At(node.Uri);
        await using var transport = new RabbitMqTransport(broker.Options("restart"), new TestOutputLogger<RabbitMqTransport>(output));
        var log = new HandledLog();
        var positions = new InMemoryConsumerPositions();
        using var cancel = new CancellationTokenSource(Timeout);
        await transport.PublishAsync(TestBroker.Changes(1, 200), cancel.Token);
        if (kill)
        {
            // RabbitMQ 3.10 keeps a new quorum queue's registration in a file it saves every few
            // minutes or on a clean stop; a queue created seconds before a crash comes back empty
            // under a new identity. Real queues are long-lived: settle this one first.
            await node.RestartAsync();
        }
        // The consumer stops at 100 with its batch unacknowledged until the broker is down.
        var consumer = new RecordingConsumer("restart", log) { HoldFrom = 100 };
        await using (await transport.SubscribeAsync(consumer, positions, cancel.Token))
        {
            Assert.True(await TestBroker.WaitUntilAsync(() => consumer.Holding, Timeout), $"handled up to {log.Max()}");
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} restarting the broker at {log.Max()}");
            var restarting = node.RestartAsync(kill);
            Assert.True(await TestBroker.WaitUntilAsync(() => !transport.IsConnected, Timeout), "the broker did not go away");
            // The held batch finishes while the broker is down: its ack is lost, it comes again
            // and is skipped by position. The rest of the stream is published during the outage.
            consumer.Gate.SetResult();
            var publishing = Task.Run(async () =>
            {
                for (var from = 201; from <= 600; from += 20) await transport.PublishAsync(TestBroker.Changes(from, from + 19), cancel.Token);
            });
            await restarting;
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} restarted the broker at {log.Max()}");
            await publishing;
            Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 600, Timeout), $"handled up to {log.Max()}");
            Assert.True(await TestBroker.WaitUntilAsync(() => transport.IsConnected, Timeout), "did not reconnect");
        }
        var sequences = log.Sequences();
        Assert.Equal(Enumerable.Range(1, 600).Select(i => (long)i), sequences.Distinct());
        Assert.True(sequences.Zip(sequences.Skip(1)).All(p => p.Second >= p.First), "out of order");
        Assert.Equal(600, positions["restart"]);
    }
}
