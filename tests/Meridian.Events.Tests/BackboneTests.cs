using Meridian.Events.InProcess;
using Meridian.Events.Metrics;
using Meridian.Events.Positions;
using Meridian.Events.Tests.Support;
using Meridian.Storage;
using Meridian.Storage.Records;

namespace Meridian.Events.Tests;

/// <summary>The backbone end to end on the in-process transport: commit order, at least once,
/// independent consumers, durable positions. One fresh database per test.</summary>
public abstract class BackboneTests(bool postgres) : IAsyncLifetime
{
    private TestStore _db = null!;

    internal static EventBackboneOptions Fast => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(50),
        RetryFirst = TimeSpan.FromMilliseconds(20),
        RetryMax = TimeSpan.FromMilliseconds(200),
        LeaseDuration = TimeSpan.FromSeconds(3),
    };

    public async Task InitializeAsync() => _db = await TestStore.CreateAsync(postgres);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private Task<EventBackbone> StartAsync(params IEventConsumer[] consumers) => StartAsync(new TestMeterFactory(), consumers);

    private async Task<EventBackbone> StartAsync(TestMeterFactory meters, params IEventConsumer[] consumers)
    {
        var options = Fast;
        var backbone = new EventBackbone(_db.Store, new InProcessTransport(_db.Store, options), consumers, new EventMetrics(meters), null, options);
        await backbone.StartAsync(CancellationToken.None);
        return backbone;
    }

    [Fact]
    public async Task Every_consumer_gets_every_change_once_in_commit_order()
    {
        var a = new RecordingConsumer("a");
        var b = new RecordingConsumer("b");
        await using (await StartAsync(a, b))
        {
            await _db.WriteAsync(30);
            await _db.WriteAsync(20, tenant: "t2");
            var feed = await _db.FeedAsync();
            Assert.Equal(50, feed.Length);
            Assert.True(await Eventually.HoldsAsync(() => a.Handled.Count >= feed.Length && b.Handled.Count >= feed.Length));
            Assert.Equal(feed, a.Sequences);
            Assert.Equal(feed, b.Sequences);
        }
    }

    [Fact]
    public async Task A_consumer_that_throws_gets_the_same_batch_again_without_gap_or_reordering()
    {
        await _db.WriteAsync(10);
        var failOn = (await _db.FeedAsync())[4];
        var flaky = new RecordingConsumer("flaky", failOn: failOn, failFirst: 3);
        var steady = new RecordingConsumer("steady");
        await using (await StartAsync(flaky, steady))
        {
            await _db.WriteAsync(10);
            var feed = await _db.FeedAsync();
            Assert.True(await Eventually.HoldsAsync(() => flaky.Handled.Count >= feed.Length && steady.Handled.Count >= feed.Length));
            Assert.Equal(feed, flaky.Sequences);
            Assert.Equal(feed, steady.Sequences);
            Assert.True(flaky.Failures > 3);
            // Each failed offer was repeated from the same position: the retried batch starts where the failed one did.
            var failedStart = flaky.Calls.GroupBy(c => c).Single(g => g.Count() > 1);
            Assert.True(failedStart.Count() >= 4);
            Assert.True(failedStart.Key <= failOn);
        }
    }

    [Fact]
    public async Task Failures_retries_and_handled_events_are_counted_per_consumer()
    {
        await _db.WriteAsync(6);
        var failOn = (await _db.FeedAsync())[2];
        using var meters = new TestMeterFactory();
        using var collector = new Meridian.Server.Metrics.PrometheusCollector(meters);
        var flaky = new RecordingConsumer("counted", failOn: failOn, failFirst: 2);
        await using (await StartAsync(meters, flaky))
        {
            Assert.True(await Eventually.HoldsAsync(() => flaky.Handled.Count >= 6));
            IReadOnlyList<PromSample> samples = [];
            Assert.True(await Eventually.HoldsAsync(() => PrometheusParser.Value(samples = PrometheusParser.Parse(collector.Scrape()).Samples, "meridian_events_consumer_lag", ("consumer", "counted")) == 0));
            Assert.Equal(2, PrometheusParser.Value(samples, "meridian_events_consumer_failures_total", ("consumer", "counted")));
            Assert.Equal(2, PrometheusParser.Value(samples, "meridian_events_consumer_retries_total", ("consumer", "counted")));
            Assert.Equal(6, PrometheusParser.Value(samples, "meridian_events_consumer_handled_total", ("consumer", "counted")));
            Assert.Equal(6, PrometheusParser.Value(samples, "meridian_events_dispatched_total", ("partition", "feed")));
            Assert.Equal((await _db.FeedAsync())[^1], PrometheusParser.Value(samples, "meridian_events_consumer_position", ("consumer", "counted")));
        }
    }

    [Fact]
    public async Task Positions_survive_a_restart_of_the_backbone()
    {
        var first = new RecordingConsumer("durable");
        await using (await StartAsync(first))
        {
            await _db.WriteAsync(10);
            Assert.True(await Eventually.HoldsAsync(() => first.Handled.Count >= 10));
        }
        await _db.WriteAsync(7);
        var feed = await _db.FeedAsync();
        var second = new RecordingConsumer("durable");
        await using (await StartAsync(second))
        {
            Assert.True(await Eventually.HoldsAsync(() => second.Handled.Count >= 7));
            await Task.Delay(200); // room for a wrong duplicate to show up
            Assert.Equal(feed[..10], first.Sequences);
            Assert.Equal(feed[10..], second.Sequences);
        }
    }

    [Fact]
    public async Task A_slow_consumer_does_not_delay_another()
    {
        var slow = new RecordingConsumer("slow", block: true);
        var fast = new RecordingConsumer("fast");
        await using (await StartAsync(slow, fast))
        {
            await _db.WriteAsync(25);
            var feed = await _db.FeedAsync();
            Assert.True(await Eventually.HoldsAsync(() => fast.Handled.Count >= feed.Length));
            Assert.Equal(feed, fast.Sequences);
            Assert.Empty(slow.Handled);
            slow.Release();
            Assert.True(await Eventually.HoldsAsync(() => slow.Handled.Count >= feed.Length));
            Assert.Equal(feed, slow.Sequences);
        }
    }

    [Fact]
    public async Task A_crash_after_handling_but_before_the_position_moved_brings_the_batch_again()
    {
        await _db.WriteAsync(12);
        var feed = await _db.FeedAsync();
        var records = _db.Store.Find<ISystemRecordStore>()!;
        var positions = new CrashOnceBeforeAdvance(new RecordConsumerPositions(records));
        var consumer = new RecordingConsumer("once-more");
        await using var transport = new InProcessTransport(_db.Store, Fast);
        await using (await transport.SubscribeAsync(consumer, positions, CancellationToken.None))
        {
            await transport.PublishAsync(await _db.Store.ReadChangesAsync(0, 100), CancellationToken.None);
            Assert.True(await Eventually.HoldsAsync(() => consumer.Handled.Count >= 2 * feed.Length));
            // The whole batch came twice, in order both times: at least once, never out of order.
            Assert.Equal(feed.Concat(feed), consumer.Sequences);
            Assert.True(await Eventually.HoldsAsync(async () => await positions.GetAsync("once-more", CancellationToken.None) == feed[^1]));
        }
    }

    private sealed class CrashOnceBeforeAdvance(IConsumerPositions inner) : IConsumerPositions
    {
        private int _crashed;

        public Task<long> GetAsync(string consumer, CancellationToken cancellationToken) => inner.GetAsync(consumer, cancellationToken);

        public Task AdvanceAsync(string consumer, long sequence, CancellationToken cancellationToken) =>
            Interlocked.Exchange(ref _crashed, 1) == 0
                ? throw new IOException("the process died before the position was written")
                : inner.AdvanceAsync(consumer, sequence, cancellationToken);
    }
}

public sealed class SqliteBackboneTests() : BackboneTests(postgres: false);

public sealed class PostgresBackboneTests() : BackboneTests(postgres: true);
