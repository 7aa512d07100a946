using System.Collections.Concurrent;
using Meridian.Storage;
using Meridian.Subscriptions.Model;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions.Delivery;

/// <summary>
/// Delivers the queue. A scheduler loop (woken by the consumer, or every poll interval) finds
/// subscriptions with due notifications, handshakes or heartbeats and starts one worker per
/// subscription — never two for the same subscription, so its notifications leave in event-number
/// order. A worker sends through its endpoint's guard (<see cref="EndpointGuards"/>); on failure
/// it records the attempt and the next time (exponential backoff with jitter) and stops, so a
/// failing subscription waits without holding anything. A notification older than the retry
/// budget is dead-lettered (never dropped) and the subscription shows <c>error</c> with the last
/// error until a delivery succeeds again.
/// </summary>
public sealed partial class SubscriptionDelivery : IAsyncDisposable
{
    private readonly IFhirStore _store;
    private readonly SubscriptionRegistry _registry;
    private readonly SubscriptionLifecycle _lifecycle;
    private readonly SubscriptionQueue _queue;
    private readonly NotificationBuilder _builder;
    private readonly ChannelSender _sender;
    private readonly EndpointGuards _guards;
    private readonly SubscriptionMetrics _metrics;
    private readonly SubscriptionOptions _options;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<(string Tenant, string Id), Task> _running = new();
    private readonly ConcurrentDictionary<(string Tenant, string Id), DateTimeOffset> _controlRetryAt = new();
    private readonly ConcurrentDictionary<(string Tenant, string Id), DateTimeOffset> _lastSent = new();
    // When each subscription's last worker ended (Stopwatch ticks): a pass's read older than that is stale for it.
    private readonly ConcurrentDictionary<(string Tenant, string Id), long> _workerEnded = new();
    // Per subscription the runs of event numbers workers sent lately and when (Stopwatch ticks): what a
    // stale pass read may still show pending. And when a worker last recorded a failure or dead letters
    // (Stopwatch ticks): then a stale read's retry times are wrong, and the worker reads the queue.
    private readonly ConcurrentDictionary<(string Tenant, string Id), System.Collections.Immutable.ImmutableArray<(long From, long To, long At)>> _sentRuns = new();
    private readonly ConcurrentDictionary<(string Tenant, string Id), long> _workerTrouble = new();
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Meridian.Events.IDispatchLease? _lease;
    private readonly VersionCache _versions;
    private readonly string _holder = Environment.MachineName + "/" + Guid.NewGuid().ToString("N");
    private DateTimeOffset _leaseRenewAt = DateTimeOffset.MinValue;
    private bool _leaseHeld;
    private readonly DeliveredAcks _acks = new();
    private Task? _loop;
    private Task? _ackLoop;
    private int _disposed;

    /// <param name="lease">When several nodes share the database, only the holder of this lease
    /// delivers (so a subscription's notifications leave one node, in order); null: this node always does.</param>
    public SubscriptionDelivery(IFhirStore store, SubscriptionRegistry registry, SubscriptionLifecycle lifecycle, SubscriptionQueue queue,
        ChannelSender sender, SubscriptionMetrics metrics, SubscriptionOptions options, TimeProvider? clock = null, Meridian.Events.IDispatchLease? lease = null, VersionCache? versions = null)
    {
        _versions = versions ?? new VersionCache(0);
        _lease = lease;
        _store = store;
        _registry = registry;
        _lifecycle = lifecycle;
        _queue = queue;
        _sender = sender;
        _metrics = metrics;
        _options = options;
        _clock = clock ?? TimeProvider.System;
        _builder = new NotificationBuilder(options);
        _guards = new EndpointGuards(options, metrics);
    }

    public NotificationBuilder Builder => _builder;

    /// <summary>Sent notifications not yet marked delivered; the feed consumer marks them in its enqueue transaction.</summary>
    public DeliveredAcks Acks => _acks;

    /// <summary>Due notifications read per pass for all subscriptions (beyond: the workers read their own).</summary>
    private const int PrefetchPerPass = 2_000;

    /// <summary>Wakes the scheduler (new notifications were queued).</summary>
    public void Signal()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    public Task StartAsync(CancellationToken ct)
    {
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(() => LoopAsync(_stop.Token), CancellationToken.None);
            _ackLoop = Task.Run(() => AckLoopAsync(_stop.Token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        try
        {
            await Task.WhenAll(_running.Values).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Workers stop with the service.
        }
        if (_ackLoop is not null)
        {
            await _ackLoop.ConfigureAwait(false);
        }
        try
        {
            await _acks.FlushAsync(_queue, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Not marked: those notifications go out again (same event numbers) after a restart.
        }
        if (_lease is not null && _leaseHeld)
        {
            try
            {
                await _lease.ReleaseAsync(LeaseName, _holder, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // It expires on its own.
            }
        }
        _stop.Dispose();
        _signal.Dispose();
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var passes = 0L;
        try
        {
            await _lifecycle.LoadAllAsync(ct).ConfigureAwait(false);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // Stopped while still loading (a server disposed right after it started; whatever the load
            // failed with then, a cancellation or a closed connection, is the stop): DisposeAsync
            // must not rethrow it.
            return;
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // The database is not reachable yet: every pass tries the due work again.
        }
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(_options.PollInterval, ct).ConfigureAwait(false);
                await PassAsync(passes++ % 20 == 0, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                // A database hiccup: the queue is durable, the next pass picks the work up again.
            }
        }
    }

    /// <summary>
    /// Tests drive delivery pass by pass (the service not started): one scheduler pass, then the
    /// workers it started run to their end. What a pass does is then observable without timing.
    /// </summary>
    internal async Task RunPassAsync(CancellationToken ct)
    {
        await _lifecycle.LoadAllAsync(ct).ConfigureAwait(false);
        await PassAsync(housekeeping: false, ct).ConfigureAwait(false);
        await Task.WhenAll(_running.Values).ConfigureAwait(false);
    }

    /// <summary>Tests: marks the sent notifications delivered now, as the 50 ms flush does.</summary>
    internal Task<int> FlushAcksAsync(CancellationToken ct) => _acks.FlushAsync(_queue, ct);

    public const string LeaseName = "subscriptions-delivery";

    /// <summary>How often sent notifications are marked delivered (one transaction for all subscriptions).</summary>
    private static readonly TimeSpan s_ackInterval = TimeSpan.FromMilliseconds(50);

    private async Task AckLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(s_ackInterval, ct).ConfigureAwait(false);
                if (await _acks.FlushAsync(_queue, ct).ConfigureAwait(false) > 0)
                {
                    Signal(); // workers skipped what was unmarked; more may be waiting behind it
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                // A database hiccup: the ranges stay and the next flush tries again.
            }
        }
    }

    private async Task PassAsync(bool housekeeping, CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        if (_lease is not null && now >= _leaseRenewAt)
        {
            // Renewed every third of its duration; another node takes over a lease left to expire.
            _leaseHeld = await _lease.TryAcquireAsync(LeaseName, _holder, TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
            _leaseRenewAt = now + TimeSpan.FromSeconds(5);
        }
        if (_lease is not null && !_leaseHeld)
        {
            return;
        }
        await _lifecycle.RetryAwaitingOwnerAsync(ct).ConfigureAwait(false);
        // One read of the due notifications of every subscription, handed to the workers, instead of
        // one query per worker (with 1,000 subscriptions nearly one per notification).
        // The acks before the read, as a worker reads them before its own query: a range that left them
        // was committed first, so the read sees it delivered; one still in them is skipped by the worker.
        var readAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var ackedAtRead = _acks.Snapshot().ToDictionary(a => a.Key, a => a.Value);
        var due = await _queue.DueEventsAsync(now, PrefetchPerPass, ct).ConfigureAwait(false);
        foreach (var group in due.GroupBy(e => (e.Tenant, e.SubscriptionId)))
        {
            await _lifecycle.EnsureTenantAsync(group.Key.Tenant, ct).ConfigureAwait(false);
            Start(group.Key.Tenant, group.Key.SubscriptionId, ct, new Prefetched([.. group], readAt, ackedAtRead.GetValueOrDefault(group.Key, [])));
        }
        if (due.Length >= PrefetchPerPass)
        {
            // More than one read holds: the rest read their own.
            foreach (var (tenant, id) in await _queue.DueAsync(now, ct).ConfigureAwait(false))
            {
                await _lifecycle.EnsureTenantAsync(tenant, ct).ConfigureAwait(false);
                Start(tenant, id, ct);
            }
        }
        foreach (var tenant in _registry.Tenants.ToList())
        {
            foreach (var s in _registry.View(tenant).Subscriptions.Values)
            {
                var d = s.Definition;
                var key = (d.Tenant, d.Id);
                if (!d.IsTopicBased || _controlRetryAt.TryGetValue(key, out var at) && at > now)
                {
                    continue;
                }
                var handshake = d.Status == SubscriptionStatusCodes.Requested;
                var heartbeat = d.HeartbeatPeriod is { } period && d.Status == SubscriptionStatusCodes.Active
                    && now - _lastSent.GetOrAdd(key, now) >= period;
                if (handshake || heartbeat)
                {
                    Start(d.Tenant, d.Id, ct);
                }
            }
        }
        if (housekeeping)
        {
            _metrics.SetDepth(await _queue.DepthAsync(ct).ConfigureAwait(false));
            await _queue.PurgeDeliveredAsync(now - _options.EventRetention, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A subscription's due notifications as a pass read them, and when (Stopwatch ticks).</summary>
    private sealed record Prefetched(System.Collections.Immutable.ImmutableArray<QueuedEvent> Events, long ReadAt, System.Collections.Immutable.ImmutableArray<(long From, long To)> AckedAtRead);

    /// <summary>
    /// What of a pass's read a new worker may use. A worker of this subscription that ended after the
    /// read may have sent (and had marked) what the read saw pending: those are skipped by the exact
    /// runs sent since the read. (Skipping every number up to the highest sent, unless queued after
    /// that send, also skipped a dead letter replayed while a later notification was being sent: it
    /// went out one pass late.) Reading the queue again instead cost one query per notification on
    /// PostgreSQL under load, where workers end all the time. A worker that recorded a failure or
    /// dead letters after the read changed retry times the read cannot show: that one reads the queue.
    /// </summary>
    private Prefetched? Usable((string Tenant, string Id) key, Prefetched? prefetched)
    {
        if (prefetched is null || !_workerEnded.TryGetValue(key, out var ended) || ended < prefetched.ReadAt)
        {
            return prefetched;
        }
        if (_workerTrouble.TryGetValue(key, out var trouble) && trouble >= prefetched.ReadAt
            || System.Diagnostics.Stopwatch.GetElapsedTime(prefetched.ReadAt) >= s_sentRunsKept)
        {
            return null;
        }
        if (!_sentRuns.TryGetValue(key, out var runs))
        {
            return prefetched;
        }
        return prefetched with { Events = [.. prefetched.Events.Where(e => !runs.Any(r => r.At >= prefetched.ReadAt && e.EventNumber >= r.From && e.EventNumber <= r.To))] };
    }

    /// <summary>How long sent runs are remembered for <see cref="Usable"/> (an older pass read is not used).</summary>
    private static readonly TimeSpan s_sentRunsKept = TimeSpan.FromSeconds(10);

    private void RecordSent((string Tenant, string Id) key, long from, long to, long at) =>
        _sentRuns.AddOrUpdate(key, [(from, to, at)], (_, runs) =>
            [.. runs.Where(r => System.Diagnostics.Stopwatch.GetElapsedTime(r.At) < s_sentRunsKept), (from, to, at)]);

    private void Start(string tenant, string id, CancellationToken ct, Prefetched? prefetched = null)
    {
        var key = (tenant, id);
        if (_running.ContainsKey(key))
        {
            return;
        }
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_running.TryAdd(key, gate.Task))
        {
            return;
        }
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(async () =>
            {
                var worked = true;
                try
                {
                    worked = await WorkAsync(tenant, id, Usable(key, prefetched), ct).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Left for the next pass: the queue still holds every undelivered notification.
                }
                finally
                {
                    _workerEnded[key] = System.Diagnostics.Stopwatch.GetTimestamp();
                    _running.TryRemove(key, out _);
                    gate.TrySetResult();
                    if (worked)
                    {
                        // More may have arrived while this worker ran. A worker that found nothing to send (its
                        // notifications await the ack flush, which signals) must not spin the scheduler meanwhile.
                        Signal();
                    }
                }
            }, CancellationToken.None);
        }
    }

    private TimeSpan Backoff(int attempts)
    {
        var exponent = Math.Min(Math.Max(attempts - 1, 0), 30);
        var ms = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, exponent));
        // "Equal jitter": half fixed, half random, so many failing subscriptions do not retry in lockstep.
        return TimeSpan.FromMilliseconds(ms / 2 + Random.Shared.NextDouble() * ms / 2);
    }
}
