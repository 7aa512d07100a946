using System.Collections.Concurrent;
using Meridian.Storage;
using Microsoft.Extensions.Logging;

namespace Meridian.Events.RabbitMq.Tests;

/// <summary>
/// The cancellation race in the consume loop (the one fixed in the publisher last session): a
/// handler that fails with its own error while the subscription is being stopped must end the
/// loop quietly as a stop, not be logged as a failed batch or a lost channel and retried.
/// </summary>
public sealed class StopRaceTests
{
    [Fact]
    public async Task A_handler_failing_while_the_subscription_stops_is_reported_as_the_stop()
    {
        await using var broker = TestBroker.FromEnvironment();
        var options = broker.Options("stop-race");
        var logger = new CapturingLogger();
        await using var node = new RabbitMqTransport(options, logger);
        var consumer = new FailsWhenCancelledConsumer();
        var sub = await node.SubscribeAsync(consumer, new InMemoryConsumerPositions(), CancellationToken.None);
        await node.PublishAsync(TestBroker.Changes(1, 3), CancellationToken.None);
        Assert.True(await TestBroker.WaitUntilAsync(() => consumer.Handling, TimeSpan.FromMinutes(1)));
        await sub.DisposeAsync();
        Assert.True(consumer.FailedOnCancel);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task Subscribing_to_an_unreachable_broker_reports_the_callers_cancellation()
    {
        var options = new RabbitMqTransportOptions { Uri = new Uri("amqp://guest:guest@127.0.0.1:1/"), MinBackoff = TimeSpan.FromMilliseconds(10) };
        await using var node = new RabbitMqTransport(options);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        // The first attempt completes the start (refused); later ones keep retrying in the background.
        var handle = await node.SubscribeAsync(new FailsWhenCancelledConsumer(), new InMemoryConsumerPositions(), cancel.Token);
        await handle.DisposeAsync();
        await using var publisher = new RabbitMqTransport(options);
        using var publishCancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publisher.PublishAsync(TestBroker.Changes(1, 1), publishCancel.Token));
    }

    private sealed class FailsWhenCancelledConsumer : IEventConsumer
    {
        public volatile bool Handling;
        public volatile bool FailedOnCancel;

        public string Name => "stop-race";

        public async Task HandleAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
        {
            Handling = true;
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                FailedOnCancel = true;
                throw new IOException("endpoint refused (raced the cancellation)");
            }
        }
    }

    private sealed class CapturingLogger : ILogger<RabbitMqTransport>
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
