using Meridian.Events.Positions;
using Meridian.Fhir.Serialization;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Records;

namespace Meridian.Events.RabbitMq.Tests;

/// <summary>
/// A consumer added after events were published (its queue did not exist yet) starts from its
/// durable position: the gap between the position and the queue is backfilled from the change
/// feed, then the queue takes over, without gap, repeat or reordering. A configured start of
/// <see cref="ConsumerStart.Now"/> skips history for a consumer that has no position.
/// </summary>
public sealed class LateConsumerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>TEST DOUBLE of the feed for the broker-only cases: sequences 1..<paramref name="last"/>.</summary>
    private static ChangeHistory Feed(long last) => (after, max, _) =>
        Task.FromResult<IReadOnlyList<ChangeRecord>>([.. Enumerable.Range(1, (int)last).Select(i => (long)i).Where(s => s > after).Take(max).Select(s => TestBroker.Change(s))]);

    [Fact]
    public async Task Events_queued_before_the_first_session_come_after_the_history_they_follow()
    {
        await using var broker = TestBroker.FromEnvironment();
        var options = broker.Options("late-gap");
        var log = new HandledLog();
        var positions = new InMemoryConsumerPositions();
        // The queue exists (declared by the publisher) only from event 41 on; 1..40 are in the feed only.
        await using (var publisher = new RabbitMqTransport(options))
            await publisher.PublishAsync(TestBroker.Changes(41, 60), CancellationToken.None);
        await using var node = new RabbitMqTransport(options, history: Feed(60));
        await using var sub = await node.SubscribeAsync(new RecordingConsumer("late-gap", log), positions, CancellationToken.None);
        Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 60, Timeout), $"handled up to {log.Max()}");
        Assert.Equal(Enumerable.Range(1, 60).Select(i => (long)i), log.Sequences());
        Assert.Equal(60, positions["late-gap"]);
    }

    [Fact]
    public async Task A_consumer_starting_now_gets_only_what_its_queue_holds()
    {
        await using var broker = TestBroker.FromEnvironment();
        var options = broker.Options("late-now") with { Start = ConsumerStart.Now };
        var log = new HandledLog();
        await using (var publisher = new RabbitMqTransport(options))
            await publisher.PublishAsync(TestBroker.Changes(41, 60), CancellationToken.None);
        await using var node = new RabbitMqTransport(options, history: Feed(60));
        await using var sub = await node.SubscribeAsync(new RecordingConsumer("late-now", log), new InMemoryConsumerPositions(), CancellationToken.None);
        Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 60, Timeout), $"handled up to {log.Max()}");
        Assert.Equal(Enumerable.Range(41, 20).Select(i => (long)i), log.Sequences());
    }

    [Fact]
    public async Task A_queue_lost_while_its_consumer_was_away_is_refilled_from_the_feed()
    {
        await using var broker = TestBroker.FromEnvironment();
        var options = broker.Options("lost");
        var log = new HandledLog();
        var positions = new InMemoryConsumerPositions();
        await positions.AdvanceAsync("lost", 10, CancellationToken.None);
        // 11..30 were published while no queue existed (not a known consumer: options without it).
        await using (var publisher = new RabbitMqTransport(options with { KnownConsumers = [] }))
            await publisher.PublishAsync(TestBroker.Changes(11, 30), CancellationToken.None);
        await using var node = new RabbitMqTransport(options, history: Feed(30));
        await using var sub = await node.SubscribeAsync(new RecordingConsumer("lost", log), positions, CancellationToken.None);
        // Nothing new is published: the catch-up marker alone brings the history.
        Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 30, Timeout), $"handled up to {log.Max()}");
        await node.PublishAsync(TestBroker.Changes(31, 40), CancellationToken.None);
        Assert.True(await TestBroker.WaitUntilAsync(() => log.Max() == 40, Timeout), $"handled up to {log.Max()}");
        Assert.Equal(Enumerable.Range(11, 30).Select(i => (long)i), log.Sequences());
    }

    [Fact]
    public async Task On_postgres_a_consumer_added_later_gets_the_history_then_the_stream()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        var store = PostgresFhirStore.Create(database.ConnectionString);
        await using var owned = store as IAsyncDisposable;
        await store.MigrateAsync();
        await using var broker = TestBroker.FromEnvironment();
        var options = broker.Options("early") with { KnownConsumers = ["early"] };
        _ = broker.Options("late", "now");
        ChangeHistory history = async (after, max, ct) => await store.ReadChangesAsync(after, max, ct);
        var records = store.Find<ISystemRecordStore>()!;
        var positions = new RecordConsumerPositions(records);
        var early = new HandledLog();
        var backboneOptions = new EventBackboneOptions { PollInterval = TimeSpan.FromMilliseconds(50), LeaseDuration = TimeSpan.FromSeconds(5) };
        await using var backbone = new EventBackbone(store, new RabbitMqTransport(options, history: history),
            [new RecordingConsumer("early", early)], new Metrics.EventMetrics(), null, backboneOptions);
        await backbone.StartAsync(CancellationToken.None);
        await WriteAsync(store, 25);
        Assert.True(await TestBroker.WaitUntilAsync(() => early.Sequences().Count == 25, Timeout), $"early handled {early.Sequences().Count}");

        // Two consumers join later on another node; their queues are declared only now.
        var late = new HandledLog();
        var now = new HandledLog();
        await using var node = new RabbitMqTransport(options, history: history);
        await using var lateSub = await node.SubscribeAsync(new RecordingConsumer("late", late), positions, CancellationToken.None);
        await using var nowNode = new RabbitMqTransport(options with { Start = ConsumerStart.Now }, history: history);
        await using var nowSub = await nowNode.SubscribeAsync(new RecordingConsumer("now", now), positions, CancellationToken.None);
        Assert.True(await TestBroker.WaitUntilAsync(() => late.Sequences().Count == 25, Timeout), $"late handled {late.Sequences().Count}");
        await WriteAsync(store, 15);
        Assert.True(await TestBroker.WaitUntilAsync(() => late.Sequences().Count >= 40 && now.Sequences().Count >= 15, Timeout),
            $"late handled {late.Sequences().Count}, now {now.Sequences().Count}");

        var feed = new List<long>();
        for (var after = 0L; ; after = feed[^1])
        {
            var page = await store.ReadChangesAsync(after, 1000);
            if (page.IsEmpty) break;
            feed.AddRange(page.Select(c => c.Sequence));
        }
        Assert.Equal(40, feed.Count);
        Assert.Equal(feed, early.Sequences());
        Assert.Equal(feed, late.Sequences());
        Assert.Equal(feed[25..], now.Sequences());
        // The position is stored after the handler returns (its own write), so it may trail the
        // handled log by a moment; it must reach the head of the feed.
        Assert.True(await TestBroker.WaitUntilAsync(async () => await positions.GetAsync("late", CancellationToken.None) == feed[^1], Timeout),
            $"late's stored position {await positions.GetAsync("late", CancellationToken.None)}, feed head {feed[^1]}");
    }

    private static async Task WriteAsync(IFhirStore store, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var parsed = FhirJsonParser.R4.Parse($$"""{"resourceType":"Patient","name":[{"family":"Late{{i}}"}]}""");
            var result = await store.TransactAsync("t1", [new CreateOperation("Patient", ResourceContent.From(parsed.Resource!))], new TransactOptions(null));
            Assert.True(result.Succeeded, result.Failure?.Message);
        }
    }
}
