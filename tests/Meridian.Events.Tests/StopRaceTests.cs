using System.Collections.Concurrent;
using Meridian.Events.InProcess;
using Meridian.Events.Metrics;
using Meridian.Events.Tests.Support;
using Meridian.Storage;

namespace Meridian.Events.Tests;

/// <summary>
/// The cancellation race: a transport or consumer whose attempt fails with its own error while
/// the backbone is being stopped (a refused connection racing the token). Stopping must report
/// the stop: dispose completes without throwing that error and nothing is reported as a failure.
/// </summary>
public sealed class StopRaceTests : IAsyncLifetime
{
    private TestStore _db = null!;

    public async Task InitializeAsync() => _db = await TestStore.CreateAsync(postgres: false);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task A_publish_that_fails_while_the_backbone_stops_does_not_fault_the_stop()
    {
        var errors = new ConcurrentQueue<EventBackboneError>();
        var options = BackboneTests.Fast with { OnError = errors.Enqueue };
        var transport = new FailsWhenCancelledTransport();
        await _db.WriteAsync(3);
        var backbone = new EventBackbone(_db.Store, transport, [], new EventMetrics(new TestMeterFactory()), null, options);
        await backbone.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.HoldsAsync(() => transport.Publishing));
        // Before the fix the dispatcher's task faulted with the IOException and dispose threw it.
        await backbone.DisposeAsync();
        Assert.True(transport.FailedOnCancel);
        Assert.DoesNotContain(errors, e => e.Error is IOException);
    }

    [Fact]
    public async Task A_consumer_that_fails_while_its_loop_stops_is_not_reported()
    {
        var errors = new ConcurrentQueue<EventBackboneError>();
        var options = BackboneTests.Fast with { OnError = errors.Enqueue };
        await _db.WriteAsync(3);
        var consumer = new FailsWhenCancelledConsumer();
        var backbone = new EventBackbone(_db.Store, new InProcessTransport(_db.Store, options), [consumer], new EventMetrics(new TestMeterFactory()), null, options);
        await backbone.StartAsync(CancellationToken.None);
        Assert.True(await Eventually.HoldsAsync(() => consumer.Handling));
        await backbone.DisposeAsync();
        Assert.True(await Eventually.HoldsAsync(() => consumer.FailedOnCancel));
        Assert.DoesNotContain(errors, e => e.Error is IOException);
    }

    /// <summary>Publishes nothing: waits for the cancellation and then fails with its own error.</summary>
    private sealed class FailsWhenCancelledTransport : IEventTransport
    {
        public volatile bool Publishing;
        public volatile bool FailedOnCancel;

        public async Task PublishAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
        {
            Publishing = true;
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                FailedOnCancel = true;
                throw new IOException("connection refused (raced the cancellation)");
            }
        }

        public Task<IAsyncDisposable> SubscribeAsync(IEventConsumer consumer, IConsumerPositions positions, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class FailsWhenCancelledConsumer : IEventConsumer
    {
        public volatile bool Handling;
        public volatile bool FailedOnCancel;

        public string Name => "fails-on-stop";

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
}
