using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Processing;
using Meridian.Hl7.Engine.Tests.Support;
using Meridian.Storage;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// Two processing nodes (two dispatchers, each on its own store and connection pool) on one
/// database: every message is processed once, a key's messages in inbox order across both nodes
/// and never on both at once; a node stopped hard (its store cut off mid-message) loses its keys
/// after the claim lease and the other node finishes them.
/// </summary>
public abstract class MultiNodeDispatcherTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    protected abstract EngineStore NewStore();

    private static async Task ReceiveAsync(EngineHarness h, IEnumerable<(string ControlId, string Patient)> messages)
    {
        await using var client = await h.ConnectAsync();
        foreach (var (controlId, patient) in messages)
        {
            Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Oru(controlId, patient, observations: 1)))));
        }
    }

    private static Hl7Dispatcher Node(IHl7Inbox inbox, IHl7MessageProcessor processor, string node) =>
        new(inbox, processor, lanes: 2, rescanInterval: TimeSpan.FromMilliseconds(50), nodeId: node, claimLease: Lease);

    [Fact]
    public async Task Two_nodes_process_every_message_exactly_once_in_per_key_order()
    {
        await using var store = NewStore();
        await using var receiver = await EngineHarness.StartAsync(store); // receives only (no processor)
        var log = new SharedLog();
        var storeA = await store.OpenAsync();
        var storeB = await store.OpenAsync();
        try
        {
            var a = Node(RelationalHl7Inbox.For(storeA), new NodeProcessor("node-a", log), "node-a");
            var b = Node(RelationalHl7Inbox.For(storeB), new NodeProcessor("node-b", log), "node-b");
            var messages = Enumerable.Range(0, 120).Select(i => ($"M{i}", $"P{i % 8}")).ToList();
            await ReceiveAsync(receiver, messages);
            Assert.True(await EngineHarness.EventuallyAsync(async () =>
                (await receiver.Inbox.CountsAsync()).GetValueOrDefault(InboxStatus.Processed) == messages.Count));
            await a.DisposeAsync();
            await b.DisposeAsync();

            Assert.Equal(0, log.Overlaps);
            var all = log.Processed.ToList();
            Assert.Equal(messages.Select(m => m.Item1).Order(), all.Select(p => p.Message.ControlId).Order()); // each exactly once
            AssertPerKeyOrder(all);
            Assert.Equal(0, (await receiver.Inbox.CountsAsync()).GetValueOrDefault(InboxStatus.Received));
        }
        finally
        {
            await DisposeStoreAsync(storeA);
            await DisposeStoreAsync(storeB);
        }
    }

    [Fact]
    public async Task A_node_stopped_hard_loses_its_keys_after_the_lease_and_the_other_node_finishes_them()
    {
        await using var store = NewStore();
        await using var receiver = await EngineHarness.StartAsync(store);
        var log = new SharedLog();
        var storeA = await store.OpenAsync();
        var storeB = await store.OpenAsync();
        try
        {
            var messages = Enumerable.Range(0, 48).Select(i => ($"H{i}", $"Q{i % 6}")).ToList();
            await ReceiveAsync(receiver, messages);

            // Node A claims work and hangs in its first message; then its process "dies": the
            // database is unreachable for it (no renewal, no completion, no release).
            var inboxA = new CuttableInbox(RelationalHl7Inbox.For(storeA));
            var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var processorA = new NodeProcessor("node-a", log) { Hang = hang.Task };
            var a = Node(inboxA, processorA, "node-a");
            Assert.True(await EngineHarness.EventuallyAsync(() => Task.FromResult(processorA.Entered > 0)));
            var b = Node(RelationalHl7Inbox.For(storeB), new NodeProcessor("node-b", log), "node-b");
            inboxA.Cut();
            hang.SetResult();
            await a.DisposeAsync();

            Assert.True(await EngineHarness.EventuallyAsync(async () =>
                (await receiver.Inbox.CountsAsync()).GetValueOrDefault(InboxStatus.Processed) == messages.Count, seconds: 60));
            await b.DisposeAsync();

            Assert.DoesNotContain(log.Processed, p => p.Node == "node-a"); // node A finished nothing
            var byB = log.Processed.Where(p => p.Node == "node-b").ToList();
            Assert.Equal(messages.Select(m => m.Item1).Order(), byB.Select(p => p.Message.ControlId).Order()); // B did all, once each
            AssertPerKeyOrder(byB);
            Assert.Equal(0, log.Overlaps);
            // The messages A was working on when it died (claimed by A, never released) are among them.
            Assert.NotEmpty(processorA.Held);
            Assert.All(processorA.Held, id => Assert.Contains(byB, p => p.Message.Id == id));
        }
        finally
        {
            await DisposeStoreAsync(storeA);
            await DisposeStoreAsync(storeB);
        }
    }

    private static void AssertPerKeyOrder(List<(string Node, StoredHl7Message Message)> processed)
    {
        foreach (var key in processed.GroupBy(p => p.Message.OrderingKey))
        {
            var ids = key.Select(p => p.Message.Id).ToList();
            Assert.Equal(ids.Order(), ids);
        }
    }

    private static async Task DisposeStoreAsync(IFhirStore store)
    {
        if (store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
    }

    private sealed class SharedLog
    {
        private int _overlaps;

        public ConcurrentQueue<(string Node, StoredHl7Message Message)> Processed { get; } = new();

        public ConcurrentDictionary<string, string> Active { get; } = new();

        public int Overlaps => Volatile.Read(ref _overlaps);

        public void Overlap() => Interlocked.Increment(ref _overlaps);
    }

    /// <summary>Records what it processed, per node, and whether a key was ever on both nodes at once.</summary>
    private sealed class NodeProcessor(string node, SharedLog log) : IHl7BatchProcessor
    {
        private int _entered;

        public Task? Hang { get; init; }

        public ConcurrentBag<long> Held { get; } = [];

        public int Entered => Volatile.Read(ref _entered);

        public async Task<ImmutableArray<ProcessingOutcome>> ProcessBatchAsync(IReadOnlyList<StoredHl7Message> messages, CancellationToken cancellationToken)
        {
            if (Hang is not null)
            {
                foreach (var m in messages)
                {
                    Held.Add(m.Id);
                }
                Interlocked.Increment(ref _entered);
                await Hang.WaitAsync(cancellationToken);
                throw new InvalidOperationException("node died");
            }
            Interlocked.Increment(ref _entered);
            foreach (var m in messages)
            {
                if (!log.Active.TryAdd(m.OrderingKey!, node))
                {
                    log.Overlap();
                }
            }
            await Task.Delay(2, cancellationToken);
            foreach (var m in messages)
            {
                log.Processed.Enqueue((node, m));
                log.Active.TryRemove(new KeyValuePair<string, string>(m.OrderingKey!, node));
            }
            return [.. messages.Select(_ => ProcessingOutcome.Processed)];
        }

        public async Task<ProcessingOutcome> ProcessAsync(StoredHl7Message message, CancellationToken cancellationToken) =>
            (await ProcessBatchAsync([message], cancellationToken))[0];
    }
}

public sealed class SqliteMultiNodeDispatcherTests : MultiNodeDispatcherTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresMultiNodeDispatcherTests : MultiNodeDispatcherTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
