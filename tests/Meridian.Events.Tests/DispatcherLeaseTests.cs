using Meridian.Events.Dispatch;
using Meridian.Events.Metrics;
using Meridian.Events.Positions;
using Meridian.Events.Tests.Support;
using Meridian.Storage;
using Meridian.Storage.Records;

namespace Meridian.Events.Tests;

/// <summary>
/// Two dispatchers (two nodes) on one database: only the lease holder publishes; when it dies
/// without giving the lease up, the other takes over once the lease expired (never before) and
/// carries on from the durable published position. Time is a pinned clock moved by the test.
/// </summary>
public abstract class DispatcherLeaseTests(bool postgres) : IAsyncLifetime
{
    private TestStore _db = null!;

    public async Task InitializeAsync() => _db = await TestStore.CreateAsync(postgres);

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task One_dispatcher_holds_the_lease_and_the_other_takes_over_after_expiry()
    {
        var clock = new PinnedClock(DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = BackboneTests.Fast with { Clock = clock, LeaseDuration = TimeSpan.FromSeconds(1.5) };
        using var a = new Node(_db.OpenAnother(), options with { Holder = "A" });
        using var b = new Node(_db.OpenAnother(), options with { Holder = "B" });
        var lease = new RecordDispatchLease(_db.Store.Find<ISystemRecordStore>()!, clock);

        a.Start();
        Assert.True(await Eventually.HoldsAsync(async () => (await lease.ReadAsync("feed", default))?.Holder == "A"));
        b.Start();
        await _db.WriteAsync(10);
        var feed = await _db.FeedAsync();
        Assert.True(await Eventually.HoldsAsync(() => a.Transport.Published.Count >= feed.Length && b.Lease.Attempts >= 3));
        Assert.Equal(feed, a.Transport.Published);
        Assert.Empty(b.Transport.Published);

        await a.KillAsync(); // no release: the lease stays A's until it expires
        await _db.WriteAsync(5);
        var attempts = b.Lease.Attempts;
        Assert.True(await Eventually.HoldsAsync(() => b.Lease.Attempts >= attempts + 3));
        Assert.Empty(b.Transport.Published);
        Assert.Equal("A", (await lease.ReadAsync("feed", default))?.Holder);

        clock.Advance(TimeSpan.FromSeconds(2));
        feed = await _db.FeedAsync();
        Assert.True(await Eventually.HoldsAsync(() => b.Transport.Published.Contains(feed[^1])));
        Assert.Equal("B", (await lease.ReadAsync("feed", default))?.Holder);
        // B carries on from A's durable published position, re-publishing at least A's last event
        // (at least once) and skipping nothing, in order.
        var fromB = b.Transport.Published;
        Assert.True(fromB[0] <= a.Transport.Published[^1]);
        Assert.Equal(fromB.Order(), fromB);
        Assert.Equal(fromB.Count, fromB.Distinct().Count());
        Assert.Equal(feed, a.Transport.Published.Union(fromB).Order());
        await b.KillAsync();
    }

    /// <summary>One node's dispatcher with a recording transport and a lease that counts attempts and never releases (a crash).</summary>
    private sealed class Node(IFhirStore store, EventBackboneOptions options) : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _run = Task.CompletedTask;

        public RecordingTransport Transport { get; } = new();

        public CountingLease Lease { get; } = new(new RecordDispatchLease(store.Find<ISystemRecordStore>()!, options.Clock));

        public void Start()
        {
            var records = store.Find<ISystemRecordStore>()!;
            var dispatcher = new ChangeFeedDispatcher(store, Transport, Lease, new RecordConsumerPositions(records, RecordConsumerPositions.DispatcherKind),
                new CommitSignal(), new EventMetrics(new TestMeterFactory()), options);
            _run = Task.Run(() => dispatcher.RunAsync(_stop.Token));
        }

        public async Task KillAsync()
        {
            await _stop.CancelAsync();
            await _run;
        }

        public void Dispose() => _stop.Dispose();
    }

    private sealed class CountingLease(IDispatchLease inner) : IDispatchLease
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public Task<bool> TryAcquireAsync(string partition, string holder, TimeSpan duration, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            return inner.TryAcquireAsync(partition, holder, duration, cancellationToken);
        }

        public Task ReleaseAsync(string partition, string holder, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class RecordingTransport : IEventTransport
    {
        private readonly Lock _gate = new();
        private readonly List<long> _published = [];

        public IReadOnlyList<long> Published
        {
            get
            {
                lock (_gate)
                {
                    return [.. _published];
                }
            }
        }

        public Task PublishAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                _published.AddRange(events.Select(e => e.Sequence));
            }
            return Task.CompletedTask;
        }

        public Task<IAsyncDisposable> SubscribeAsync(IEventConsumer consumer, IConsumerPositions positions, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

public sealed class SqliteDispatcherLeaseTests() : DispatcherLeaseTests(postgres: false);

public sealed class PostgresDispatcherLeaseTests() : DispatcherLeaseTests(postgres: true);
