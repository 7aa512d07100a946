using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Processing;
using Meridian.Hl7.Engine.Tests.Support;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// A lane with more than a batch queued behind it takes full batches (the normal maximum, 16: larger
/// backlog batches were measured and removed), one tenant, one client and distinct ordering keys per
/// batch, in per-key order.
/// </summary>
public abstract class BacklogBatchTests
{
    protected abstract EngineStore NewStore();

    [Fact]
    public async Task A_backlogged_lane_takes_full_batches_in_per_key_order()
    {
        await using var store = NewStore();
        await using var receiver = await EngineHarness.StartAsync(store); // receives only (no processor)
        var messages = Enumerable.Range(0, 150).Select(i => ($"B{i}", $"P{i % 100}")).ToList(); // 100 keys, 50 of them twice
        await using (var client = await receiver.ConnectAsync())
        {
            foreach (var (controlId, patient) in messages)
            {
                Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Oru(controlId, patient, observations: 1)))));
            }
        }
        var processor = new GatedBatchProcessor();
        var processing = await store.OpenAsync();
        try
        {
            var dispatcher = new Hl7Dispatcher(RelationalHl7Inbox.For(processing), processor, lanes: 1, rescanInterval: TimeSpan.FromMilliseconds(50));
            try
            {
                // The first batch holds the lane until every message is routed to it: the rest is a backlog.
                Assert.True(await EngineHarness.EventuallyAsync(() => Task.FromResult(dispatcher.InFlight == messages.Count)));
                processor.Gate.SetResult();
                Assert.True(await EngineHarness.EventuallyAsync(async () =>
                    (await receiver.Inbox.CountsAsync()).GetValueOrDefault(InboxStatus.Processed) == messages.Count));
            }
            finally
            {
                await dispatcher.DisposeAsync();
            }
        }
        finally
        {
            if (processing is IAsyncDisposable d)
            {
                await d.DisposeAsync();
            }
        }

        var batches = processor.Batches.ToList();
        Assert.All(batches, b => Assert.Equal(b.Count, b.Select(m => m.OrderingKey).Distinct().Count())); // distinct keys per batch
        Assert.Equal(Hl7Dispatcher.DefaultMaxBatch, batches.Max(b => b.Count));
        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(messages.Select(m => m.Item1).Order(), all.Select(m => m.ControlId).Order()); // each once
        foreach (var key in all.GroupBy(m => m.OrderingKey))
        {
            var ids = key.Select(m => m.Id).ToList();
            Assert.Equal(ids.Order(), ids); // per-key order
        }
    }

    /// <summary>Records each batch; the first one waits for <see cref="Gate"/>.</summary>
    private sealed class GatedBatchProcessor : IHl7BatchProcessor
    {
        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<List<StoredHl7Message>> Batches { get; } = new();

        public async Task<ImmutableArray<ProcessingOutcome>> ProcessBatchAsync(IReadOnlyList<StoredHl7Message> messages, CancellationToken cancellationToken)
        {
            await Gate.Task.WaitAsync(cancellationToken);
            Batches.Enqueue([.. messages]);
            return [.. messages.Select(_ => ProcessingOutcome.Processed)];
        }

        public async Task<ProcessingOutcome> ProcessAsync(StoredHl7Message message, CancellationToken cancellationToken) =>
            (await ProcessBatchAsync([message], cancellationToken))[0];
    }
}

public sealed class SqliteBacklogBatchTests : BacklogBatchTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresBacklogBatchTests : BacklogBatchTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
