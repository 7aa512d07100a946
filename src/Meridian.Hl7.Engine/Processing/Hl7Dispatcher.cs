using System.Collections.Immutable;
using System.Diagnostics;
using System.Threading.Channels;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Storage;

namespace Meridian.Hl7.Engine.Processing;

/// <summary>
/// Feeds inbox messages in status <c>received</c> to the processor. Messages are routed to a lane
/// by their ordering key (tenant, sender and key; sender alone when the message has none): while a
/// key has messages in flight they all go to its lane, which processes them one after another in
/// inbox order, so a patient's messages stay in order; lanes run in parallel. A lane hands an
/// <see cref="IHl7BatchProcessor"/> what it has queued as one batch (distinct keys only; see
/// <see cref="WorkAsync"/>) and marks the batch complete in one transaction.
/// Work is claimed, not just read (<see cref="IHl7Inbox.ClaimAsync"/>, under this dispatcher's
/// <see cref="NodeId"/>): several processing servers on one database each take whole ordering keys,
/// so no message is processed by two of them and a key's messages stay in order across nodes. Each
/// feed round renews this node's leases (also while messages are in flight); a node that dies stops
/// renewing and its keys, with its unfinished messages, go to another node after the lease. A clean
/// stop gives its claims back at once. The feed rescans periodically, which picks up replays made from
/// another process (the CLI) and keys freed by other nodes.
/// Receipt comes first: while <see cref="ReceiptPressure.IsBusy"/> at most <c>busyLanes</c> lanes run a
/// batch at once (the others wait for a slot; see <see cref="LaneAdmission"/>), so mapping cannot take
/// the cores and group-commit writers the acknowledgments wait on; when receipt goes quiet every lane
/// runs again. At least one lane always runs, so the backlog keeps draining under any receipt load.
/// </summary>
public sealed class Hl7Dispatcher : IAsyncDisposable
{
    private const int PageSize = 512;
    private const int MaxInFlight = 8192;

    /// <summary>Messages per batch by default: enough that a transaction's fixed costs are shared,
    /// few enough that one bad message's retry-alone pass stays short.</summary>
    public const int DefaultMaxBatch = 16;

    private readonly int _maxBatch;
    private readonly bool _inlineCompletion;

    private readonly IHl7Inbox _inbox;
    private readonly IHl7MessageProcessor _processor;
    private readonly Channel<StoredHl7Message>[] _lanes;
    private readonly HashSet<long> _inFlight = [];

    /// <summary>Messages whose outcome could not be recorded (the store failed): still claimed by this
    /// node, so no claim returns them again; the next feed round routes them again.</summary>
    private readonly List<StoredHl7Message> _retry = [];

    /// <summary>How long a claim lives without renewal by default: a dead node's keys wait this long.</summary>
    public static readonly TimeSpan DefaultClaimLease = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _lease;

    /// <summary>A claim call failed: it may have committed without this node seeing its messages, which
    /// would then stay claimed (and renewed) by this node for good. Released once nothing is in flight.</summary>
    private bool _orphansPossible;

    /// <summary>Keys with messages in flight and the lane they are pinned to; messages queued per lane.</summary>
    private readonly Dictionary<string, (int Lane, int Count)> _activeKeys = new(StringComparer.Ordinal);
    private readonly int[] _laneLoad;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _rescan;
    private readonly Task _feeder;
    private readonly Task[] _workers;
    private readonly LaneAdmission _admission;

    /// <param name="maxBatch">Messages a lane hands an <see cref="IHl7BatchProcessor"/> at once (1: no batching).</param>
    /// <param name="nodeId">This node's name in claims, unique among the processing servers of the
    /// database; null: a new GUID (a restarted node then waits for its predecessor's leases only
    /// after a hard stop — a clean stop releases them).</param>
    /// <param name="claimLease">How long claims live without renewal (renewed every rescan, so keep it
    /// several rescan intervals long); null: <see cref="DefaultClaimLease"/>.</param>
    /// <param name="pressure">Receipt activity; null: lanes never yield to receipt.</param>
    /// <param name="busyLanes">Lanes that may run a batch at once while receipt is busy (at least 1).</param>
    /// <param name="inlineCompletion">Hand a batch processor the inbox's completion participant, so the
    /// completion mark commits in the processor's own transaction (off by default: see Hl7EngineOptions.CompleteInMappingTransaction).</param>
    public Hl7Dispatcher(IHl7Inbox inbox, IHl7MessageProcessor processor, int lanes = 8, TimeSpan? rescanInterval = null, int maxBatch = DefaultMaxBatch,
        string? nodeId = null, TimeSpan? claimLease = null, ReceiptPressure? pressure = null, int busyLanes = 1,
        bool inlineCompletion = false)
    {
        _inlineCompletion = inlineCompletion;
        _admission = new LaneAdmission(pressure, lanes, busyLanes);
        NodeId = string.IsNullOrWhiteSpace(nodeId) ? Guid.NewGuid().ToString("N") : nodeId;
        _lease = claimLease ?? DefaultClaimLease;
        _maxBatch = Math.Max(1, maxBatch);
        _inbox = inbox ?? throw new ArgumentNullException(nameof(inbox));
        _processor = processor ?? throw new ArgumentNullException(nameof(processor));
        _rescan = rescanInterval ?? TimeSpan.FromSeconds(1);
        _laneLoad = new int[Math.Max(1, lanes)];
        _lanes = [.. Enumerable.Range(0, Math.Max(1, lanes)).Select(_ => Channel.CreateUnbounded<StoredHl7Message>(new UnboundedChannelOptions { SingleReader = true }))];
        using (ExecutionContext.SuppressFlow())
        {
            _workers = [.. _lanes.Select(lane => Task.Run(() => WorkAsync(lane)))];
            _feeder = Task.Run(FeedAsync);
        }
    }

    /// <summary>The name this dispatcher claims work under.</summary>
    public string NodeId { get; }

    /// <summary>Batches running now (tests and metrics: never above the busy cap while receipt is busy,
    /// except for batches admitted before it became busy).</summary>
    public int Running => _admission.Running;

    /// <summary>Messages routed to lanes and not finished yet (tests and metrics).</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>The most batches that ran at once while receipt was busy (tests).</summary>
    public int MostRunningWhileBusy => _admission.MostRunningWhileBusy;

    /// <summary>New messages were stored: look now instead of at the next rescan.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Someone else woke it first.
            }
        }
    }

    private async Task FeedAsync()
    {
        var ct = _stop.Token;
        try
        {
            // A node restarted under a configured name takes its own unfinished claims back at once
            // (a claim never returns messages its node already holds).
            await _inbox.ReleaseClaimsAsync(NodeId, ct).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Unreachable store or stopping: the claims expire after the lease instead.
        }
        var lastFeed = 0L;
        var woken = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // A wake-up (every receipt commit) while every lane already has two batches queued
                // cannot give any lane work sooner, yet each claim round reads every pending inbox
                // row: under a backlog that was the database's busiest statement. The rescan still
                // feeds (and renews) at least once per interval.
                if (!woken || !AllLanesBusy() || Stopwatch.GetElapsedTime(lastFeed) >= _rescan)
                {
                    await FeedOnceAsync(ct).ConfigureAwait(false);
                    lastFeed = Stopwatch.GetTimestamp();
                }
                woken = await _wake.WaitAsync(_rescan, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                // The store is unreachable: try again at the next rescan; messages stay in the inbox.
                _orphansPossible = true;
                await Task.Delay(_rescan, ct).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            }
        }
        foreach (var lane in _lanes)
        {
            lane.Writer.TryComplete();
        }
    }

    /// <summary>Renews this node's claims and claims more, page by page, while fewer than
    /// <see cref="MaxInFlight"/> are in flight; routes what is not yet in flight.</summary>
    private async Task FeedOnceAsync(CancellationToken ct)
    {
        List<StoredHl7Message> retry;
        lock (_lock)
        {
            retry = [.. _retry];
            _retry.Clear();
        }
        foreach (var message in retry)
        {
            Route(message);
        }
        if (_orphansPossible)
        {
            bool idle;
            lock (_lock)
            {
                idle = _inFlight.Count == 0;
            }
            // Only this feed routes work, so with nothing in flight every claim of this node is an orphan.
            if (idle)
            {
                await _inbox.ReleaseClaimsAsync(NodeId, ct).ConfigureAwait(false);
                _orphansPossible = false;
            }
        }
        for (var page = 0; page < 1_000_000; page++)
        {
            int room;
            lock (_lock)
            {
                room = MaxInFlight - _inFlight.Count;
            }
            if (room <= 0)
            {
                // Enough work in flight: keep what this node holds, claim nothing new.
                await _inbox.RenewClaimsAsync(NodeId, _lease, ct).ConfigureAwait(false);
                return;
            }
            var max = Math.Min(PageSize, room);
            var claimed = await _inbox.ClaimAsync(NodeId, max, _lease, ct).ConfigureAwait(false);
            foreach (var message in claimed)
            {
                Route(message);
            }
            if (claimed.Length < max)
            {
                return;
            }
        }
    }

    /// <summary>Every lane has at least two full batches queued.</summary>
    private bool AllLanesBusy()
    {
        lock (_lock)
        {
            return _laneLoad.All(load => load >= 2 * _maxBatch);
        }
    }

    private void Route(StoredHl7Message message)
    {
        int lane;
        lock (_lock)
        {
            if (!_inFlight.Add(message.Id))
            {
                return;
            }
            lane = Assign(message);
        }
        _lanes[lane].Writer.TryWrite(message);
    }

    private static string KeyOf(StoredHl7Message message) =>
        message.Tenant + "\n" + message.Sender + "\n" + (message.OrderingKey ?? "");

    /// <summary>
    /// A key with messages in flight stays on its lane (order); a key with none goes to the least
    /// loaded lane, so two busy keys never wait behind each other by the accident of a hash.
    /// Caller holds the lock.
    /// </summary>
    private int Assign(StoredHl7Message message)
    {
        var key = KeyOf(message);
        if (_activeKeys.TryGetValue(key, out var active))
        {
            _activeKeys[key] = (active.Lane, active.Count + 1);
            _laneLoad[active.Lane]++;
            return active.Lane;
        }
        var lane = 0;
        for (var i = 1; i < _laneLoad.Length; i++)
        {
            if (_laneLoad[i] < _laneLoad[lane])
            {
                lane = i;
            }
        }
        _activeKeys[key] = (lane, 1);
        _laneLoad[lane]++;
        return lane;
    }

    /// <summary>Caller holds the lock.</summary>
    private void Release(StoredHl7Message message)
    {
        var key = KeyOf(message);
        if (_activeKeys.TryGetValue(key, out var active))
        {
            _laneLoad[active.Lane]--;
            if (active.Count <= 1)
            {
                _activeKeys.Remove(key);
            }
            else
            {
                _activeKeys[key] = (active.Lane, active.Count - 1);
            }
        }
    }

    /// <summary>
    /// One lane: takes what is queued (up to <see cref="_maxBatch"/>) as a batch when the processor can do batches. A batch holds one tenant and one sending client and at most one message per
    /// ordering key: the first message whose key is already in the batch (or whose tenant/client
    /// differs) is carried to the next batch, so the lane's order is kept exactly.
    /// </summary>
    private async Task WorkAsync(Channel<StoredHl7Message> lane)
    {
        var reader = lane.Reader;
        var batching = _processor as IHl7BatchProcessor;
        StoredHl7Message? carried = null;
        for (var loop = 0L; loop < long.MaxValue; loop++)
        {
            if (carried is null)
            {
                if (!await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    return;
                }
                if (!reader.TryRead(out carried))
                {
                    continue;
                }
            }
            var batch = new List<StoredHl7Message> { carried };
            carried = null;
            if (batching is not null)
            {
                // Larger batches for a backlogged lane (64) were measured and did not help
                // (docs/benchmarks.md, 2026-11-22): the transaction's cost grows with its entries.
                var keys = new HashSet<string>(StringComparer.Ordinal) { KeyOf(batch[0]) };
                while (batch.Count < _maxBatch && reader.TryRead(out var next))
                {
                    if (next.Tenant != batch[0].Tenant || next.ClientId != batch[0].ClientId || !keys.Add(KeyOf(next)))
                    {
                        carried = next;
                        break;
                    }
                    batch.Add(next);
                }
            }
            await _admission.EnterAsync(_stop.Token).ConfigureAwait(false);
            try
            {
                await RunAsync(batch, batching).ConfigureAwait(false);
            }
            finally
            {
                _admission.Leave();
            }
        }
    }

    private async Task RunAsync(List<StoredHl7Message> batch, IHl7BatchProcessor? batching)
    {
        if (_stop.IsCancellationRequested)
        {
            Forget(batch); // stays 'received': processed after the restart
            return;
        }
        try
        {
            ImmutableArray<ProcessingOutcome> outcomes;
            try
            {
                // With inline completion a batching processor also gets single messages: the
                // completion mark then commits with the work (one commit per batch, not two).
                outcomes = batching is not null && (batch.Count > 1 || _inlineCompletion)
                    ? await batching.ProcessBatchAsync(batch, _inlineCompletion ? CompletionFor : null, _stop.Token).ConfigureAwait(false)
                    : [await _processor.ProcessAsync(batch[0], _stop.Token).ConfigureAwait(false)];
                if (outcomes.Length != batch.Count)
                {
                    throw new InvalidOperationException($"the processor returned {outcomes.Length} outcomes for {batch.Count} messages");
                }
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                outcomes = [.. batch.Select(_ => ProcessingOutcome.Failed($"{ex.GetType().Name}: {ex.Message}"))];
            }
            // One transaction marks the batch (its successes); failures go to the error store each.
            await CompleteAsync(batch, outcomes).ConfigureAwait(false);
            Forget(batch);
        }
        catch (Exception)
        {
            // Stopping, or the store failed to record the outcome: the messages stay 'received' and
            // claimed by this node; they are processed again at the next feed round, or by whoever
            // takes them after this node's stop (processors are idempotent).
            Forget(batch);
            if (!_stop.IsCancellationRequested)
            {
                lock (_lock)
                {
                    _retry.AddRange(batch);
                }
            }
        }
    }

    /// <summary>Records a batch's outcomes, trying again a few times: the work is done, and a transient
    /// store failure (a deadlock victim, a dropped connection) should not make it run twice.</summary>
    private async Task CompleteAsync(List<StoredHl7Message> batch, ImmutableArray<ProcessingOutcome> outcomes)
    {
        // Outcomes the processor recorded in its own transaction are done (they committed with the work).
        IReadOnlyList<(long, ProcessingOutcome)> records = [.. batch.Select((m, i) => (m.Id, outcomes[i])).Where(r => !r.Item2.Recorded)];
        if (records.Count == 0)
        {
            return;
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (attempt > 1)
                {
                    // Part of the previous attempt may have committed (failures complete one by one):
                    // an outcome is recorded once, so no error-store entry is written twice.
                    var open = new List<(long, ProcessingOutcome)>();
                    foreach (var record in records)
                    {
                        if ((await _inbox.GetAsync(record.Item1, CancellationToken.None).ConfigureAwait(false))?.Status == InboxStatus.Received)
                        {
                            open.Add(record);
                        }
                    }
                    records = open;
                }
                await _inbox.CompleteManyAsync(records, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (Exception) when (attempt < 3 && !_stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The inbox's in-transaction completion for messages of one tenant (a batch never mixes tenants).</summary>
    private ITransactionParticipant? CompletionFor(IReadOnlyList<StoredHl7Message> messages) =>
        messages.Count == 0 || messages.Any(m => m.Tenant != messages[0].Tenant)
            ? null
            : _inbox.CompletionParticipant(messages[0].Tenant, [.. messages.Select(m => m.Id)]);

    private void Forget(List<StoredHl7Message> batch)
    {
        lock (_lock)
        {
            foreach (var message in batch)
            {
                if (_inFlight.Remove(message.Id))
                {
                    Release(message);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _feeder.ConfigureAwait(false);
        await Task.WhenAll(_workers).ConfigureAwait(false);
        try
        {
            // A clean stop: what this node claimed and did not finish is claimable by others at once.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _inbox.ReleaseClaimsAsync(NodeId, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The store is gone: the claims expire after the lease.
        }
        _stop.Dispose();
        _wake.Dispose();
        _admission.Dispose();
    }
}
