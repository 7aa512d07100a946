using Meridian.Events.Positions;
using Meridian.Events.Tests.Support;
using Meridian.Storage;
using Meridian.Storage.Records;

namespace Meridian.Events.Tests;

/// <summary>Durable positions and the dispatch lease on the store's platform records, two
/// stores (two nodes) over one database where it matters.</summary>
public abstract class PositionsAndLeaseTests(bool postgres) : IAsyncLifetime
{
    private static readonly TimeSpan s_lease = TimeSpan.FromSeconds(15);
    private TestStore _db = null!;

    public async Task InitializeAsync() => _db = await TestStore.CreateAsync(postgres);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private ISystemRecordStore Node() => _db.OpenAnother().Find<ISystemRecordStore>()!;

    [Fact]
    public async Task A_position_starts_at_zero_and_never_moves_backwards()
    {
        var positions = new RecordConsumerPositions(Node());
        var other = new RecordConsumerPositions(Node());
        Assert.Equal(0, await positions.GetAsync("c", default));
        await positions.AdvanceAsync("c", 10, default);
        await other.AdvanceAsync("c", 7, default); // a late acknowledgement from another node
        Assert.Equal(10, await other.GetAsync("c", default));
        await Task.WhenAll(Enumerable.Range(1, 20).Select(i => (i % 2 == 0 ? positions : other).AdvanceAsync("c", 10 + i, default)));
        Assert.Equal(30, await positions.GetAsync("c", default));
        Assert.Equal(0, await positions.GetAsync("someone-else", default));
    }

    [Fact]
    public async Task Consumer_and_dispatcher_positions_do_not_share_keys()
    {
        var records = Node();
        await new RecordConsumerPositions(records).AdvanceAsync("feed", 5, default);
        Assert.Equal(0, await new RecordConsumerPositions(records, RecordConsumerPositions.DispatcherKind).GetAsync("feed", default));
    }

    [Fact]
    public async Task Only_one_holder_until_the_lease_expires_then_another_takes_over()
    {
        var clock = new PinnedClock(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var a = new RecordDispatchLease(Node(), clock);
        var b = new RecordDispatchLease(Node(), clock);
        Assert.True(await a.TryAcquireAsync("feed", "A", s_lease, default));
        Assert.False(await b.TryAcquireAsync("feed", "B", s_lease, default));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await a.TryAcquireAsync("feed", "A", s_lease, default)); // renewed before expiry
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await b.TryAcquireAsync("feed", "B", s_lease, default)); // the renewal counts from then
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.True(await b.TryAcquireAsync("feed", "B", s_lease, default)); // A stopped renewing: B takes over
        Assert.False(await a.TryAcquireAsync("feed", "A", s_lease, default)); // and A cannot take it back
        Assert.Equal("B", (await a.ReadAsync("feed", default))?.Holder);
        Assert.True(await a.TryAcquireAsync("other-partition", "A", s_lease, default));
    }

    [Fact]
    public async Task Released_leases_are_free_at_once_and_only_the_holder_can_release()
    {
        var clock = new PinnedClock(DateTimeOffset.UnixEpoch.AddYears(56));
        var a = new RecordDispatchLease(Node(), clock);
        var b = new RecordDispatchLease(Node(), clock);
        Assert.True(await a.TryAcquireAsync("feed", "A", s_lease, default));
        await b.ReleaseAsync("feed", "B", default);
        Assert.False(await b.TryAcquireAsync("feed", "B", s_lease, default));
        await a.ReleaseAsync("feed", "A", default);
        Assert.True(await b.TryAcquireAsync("feed", "B", s_lease, default));
    }

    [Fact]
    public async Task Racing_nodes_never_both_win_the_lease()
    {
        var clock = new PinnedClock(DateTimeOffset.UnixEpoch.AddYears(56));
        var nodes = Enumerable.Range(0, 6).Select(_ => new RecordDispatchLease(Node(), clock)).ToArray();
        var wins = await Task.WhenAll(nodes.Select((n, i) => n.TryAcquireAsync("feed", "N" + i, s_lease, default)));
        Assert.Equal(1, wins.Count(w => w));
        clock.Advance(s_lease + TimeSpan.FromSeconds(1));
        wins = await Task.WhenAll(nodes.Select((n, i) => n.TryAcquireAsync("feed", "M" + i, s_lease, default)));
        Assert.Equal(1, wins.Count(w => w));
    }
}

public sealed class SqlitePositionsAndLeaseTests() : PositionsAndLeaseTests(postgres: false);

public sealed class PostgresPositionsAndLeaseTests() : PositionsAndLeaseTests(postgres: true);
