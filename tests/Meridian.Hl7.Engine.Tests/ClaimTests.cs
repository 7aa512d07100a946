using System.Collections.Concurrent;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Tests.Support;

namespace Meridian.Hl7.Engine.Tests;

/// <summary>
/// Two engine instances (two stores, two connection pools) on one database claiming inbox
/// messages for processing (<see cref="IHl7Inbox.ClaimAsync"/>): a key held by one node is not
/// processed by the other, one key's messages come in id order, and a dead node's claims are
/// taken over once its lease expires.
/// </summary>
public abstract class ClaimTests
{
    protected abstract EngineStore NewStore();

    private static async Task ReceiveAsync(EngineHarness h, IEnumerable<(string ControlId, string Patient)> messages)
    {
        await using var client = await h.ConnectAsync();
        foreach (var (controlId, patient) in messages)
        {
            Assert.Equal("AA", TestMessages.AckCode(await client.SendAsync(TestMessages.Bytes(TestMessages.Oru(controlId, patient, observations: 1)))));
        }
    }

    [Fact]
    public async Task A_key_held_by_one_node_is_not_claimed_by_the_other_and_a_dead_nodes_claims_are_taken_over_in_order()
    {
        await using var store = NewStore();
        await using var a = await EngineHarness.StartAsync(store);
        await using var b = await EngineHarness.StartAsync(store);
        await ReceiveAsync(a, [("1a", "P1"), ("2a", "P2"), ("1b", "P1"), ("2b", "P2"), ("1c", "P1"), ("2c", "P2")]);

        var lease = TimeSpan.FromSeconds(3); // long enough that node A keeps P1 between its claims on a loaded machine
        var first = await a.Inbox.ClaimAsync("node-a", 1, lease);
        Assert.Equal("1a", Assert.Single(first).ControlId);                  // oldest key, one message
        var other = await b.Inbox.ClaimAsync("node-b", 10, TimeSpan.FromMinutes(5));
        Assert.Equal(["2a", "2b", "2c"], other.Select(m => m.ControlId));    // P1 is node A's
        Assert.Empty(await b.Inbox.ClaimAsync("node-b", 10, TimeSpan.FromMinutes(5))); // nothing new, nothing twice
        var rest = await a.Inbox.ClaimAsync("node-a", 10, lease);
        Assert.Equal(["1b", "1c"], rest.Select(m => m.ControlId));

        // Node A dies holding P1 (never completes, stops renewing): node B takes P1 after the lease, in order.
        ImmutableArrayHolder taken = new();
        Assert.True(await EngineHarness.EventuallyAsync(async () =>
        {
            taken.Messages.AddRange(await b.Inbox.ClaimAsync("node-b", 10, TimeSpan.FromMinutes(5)));
            return taken.Messages.Count >= 3;
        }, seconds: 20));
        Assert.Equal(["1a", "1b", "1c"], taken.Messages.Select(m => m.ControlId));
        foreach (var m in other.Concat(taken.Messages))
        {
            await b.Inbox.CompleteAsync(m.Id, ProcessingOutcome.Processed);
        }
        Assert.Equal(6, (await a.Inbox.CountsAsync())[InboxStatus.Processed]);
        Assert.Empty(await a.Inbox.ClaimAsync("node-a", 10, lease));
    }

    [Fact]
    public async Task Two_nodes_processing_concurrently_process_every_message_once_and_never_one_key_on_both_at_once()
    {
        await using var store = NewStore();
        await using var a = await EngineHarness.StartAsync(store);
        await using var b = await EngineHarness.StartAsync(store);
        var messages = Enumerable.Range(0, 60).Select(i => ($"M{i}", $"P{i % 6}")).ToList();
        await ReceiveAsync(a, messages);

        var active = new ConcurrentDictionary<string, string>();   // key -> node processing it now
        var processed = new ConcurrentQueue<(string Node, StoredHl7Message Message)>();
        var overlaps = 0;
        async Task NodeAsync(EngineHarness h, string node)
        {
            for (var round = 0; round < 2_000 && processed.Count < messages.Count; round++)
            {
                var claimed = await h.Inbox.ClaimAsync(node, 4, TimeSpan.FromMinutes(1));
                if (claimed.IsEmpty)
                {
                    await Task.Delay(10);
                    continue;
                }
                foreach (var m in claimed)
                {
                    if (!active.TryAdd(m.OrderingKey!, node) && active[m.OrderingKey!] != node)
                    {
                        Interlocked.Increment(ref overlaps);
                    }
                    processed.Enqueue((node, m));
                    await Task.Delay(2);
                    // The node's work on the message ends before it completes it: completing the
                    // key's last claimed message frees the key at once (by design), so the other
                    // node may legitimately take the key's next message before CompleteAsync returns.
                    active.TryRemove(new KeyValuePair<string, string>(m.OrderingKey!, node));
                    await h.Inbox.CompleteAsync(m.Id, ProcessingOutcome.Processed);
                }
            }
        }
        await Task.WhenAll(NodeAsync(a, "node-a"), NodeAsync(b, "node-b"));

        Assert.Equal(0, overlaps);
        var all = processed.ToList();
        Assert.Equal(messages.Select(m => m.Item1).Order(), all.Select(p => p.Message.ControlId).Order()); // each exactly once
        foreach (var key in all.GroupBy(p => p.Message.OrderingKey))
        {
            var ids = key.Select(p => p.Message.Id).ToList();
            Assert.Equal(ids.Order(), ids); // per key in id order, across both nodes
        }
        Assert.Equal(60, (await b.Inbox.CountsAsync())[InboxStatus.Processed]);
    }

    [Fact]
    public async Task Completing_a_batch_ends_its_claims_and_frees_the_key_for_another_node_at_once()
    {
        await using var store = NewStore();
        await using var a = await EngineHarness.StartAsync(store);
        await using var b = await EngineHarness.StartAsync(store);
        await ReceiveAsync(a, [("k1", "P1"), ("k2", "P1")]);
        var held = await a.Inbox.ClaimAsync("node-a", 10, TimeSpan.FromMinutes(5));
        Assert.Equal(["k1", "k2"], held.Select(m => m.ControlId));
        await a.Inbox.CompleteManyAsync([.. held.Select(m => (m.Id, ProcessingOutcome.Processed))]);

        // The key's lease went with the last claimed message: node B takes the key's next message
        // now, not after node A's five-minute lease.
        await ReceiveAsync(a, [("k3", "P1")]);
        Assert.Equal("k3", Assert.Single(await b.Inbox.ClaimAsync("node-b", 10, TimeSpan.FromMinutes(5))).ControlId);
        Assert.Equal(2, (await a.Inbox.CountsAsync())[InboxStatus.Processed]);
    }

    [Fact]
    public async Task Completing_a_batch_of_several_keys_frees_exactly_the_keys_without_claimed_messages_left()
    {
        // The batch's key leases are released in one statement: every key whose node has no
        // claimed message left goes, a key with a claimed message still waiting stays.
        await using var store = NewStore();
        await using var a = await EngineHarness.StartAsync(store);
        await using var b = await EngineHarness.StartAsync(store);
        await ReceiveAsync(a, [("m1", "P1"), ("m2", "P2"), ("m3", "P3"), ("m4", "P2")]);
        var held = await a.Inbox.ClaimAsync("node-a", 10, TimeSpan.FromMinutes(5));
        Assert.Equal(["m1", "m2", "m3", "m4"], held.Select(m => m.ControlId));
        await a.Inbox.CompleteManyAsync([.. held.Where(m => m.ControlId != "m4").Select(m => (m.Id, ProcessingOutcome.Processed))]);

        await ReceiveAsync(a, [("n1", "P1"), ("n2", "P2"), ("n3", "P3")]);
        Assert.Equal(["n1", "n3"], (await b.Inbox.ClaimAsync("node-b", 10, TimeSpan.FromMinutes(5))).Select(m => m.ControlId));
        Assert.Equal(3, (await a.Inbox.CountsAsync())[InboxStatus.Processed]);
    }

    [Fact]
    public async Task Released_claims_are_claimable_by_another_node_at_once()
    {
        await using var store = NewStore();
        await using var a = await EngineHarness.StartAsync(store);
        await using var b = await EngineHarness.StartAsync(store);
        await ReceiveAsync(a, [("r1", "P1"), ("r2", "P2")]);
        Assert.Equal(2, (await a.Inbox.ClaimAsync("node-a", 10, TimeSpan.FromMinutes(5))).Length);
        Assert.Empty(await b.Inbox.ClaimAsync("node-b", 10, TimeSpan.FromMinutes(5)));
        await a.Inbox.ReleaseClaimsAsync("node-a"); // a clean stop
        Assert.Equal(["r1", "r2"], (await b.Inbox.ClaimAsync("node-b", 10, TimeSpan.FromMinutes(5))).Select(m => m.ControlId));
    }

    private sealed class ImmutableArrayHolder
    {
        public List<StoredHl7Message> Messages { get; } = [];
    }
}

public sealed class SqliteClaimTests : ClaimTests
{
    protected override EngineStore NewStore() => new SqliteEngineStore();
}

public sealed class PostgresClaimTests : ClaimTests
{
    protected override EngineStore NewStore() => new PostgresEngineStore();
}
