namespace Meridian.Hl7.Engine.Processing;

/// <summary>
/// How many dispatcher lanes may run a batch at once: all of them while receipt is quiet, at most
/// <c>busyLanes</c> while <see cref="ReceiptPressure.IsBusy"/> (receipt before mapping, ADR "receipt
/// before mapping"). A lane waits for a slot, woken when a batch ends or after a short poll (receipt
/// may have gone quiet meanwhile). At least one lane is always admitted, so mapping never stops.
/// </summary>
internal sealed class LaneAdmission(ReceiptPressure? pressure, int lanes, int busyLanes) : IDisposable
{
    /// <summary>How often a waiting lane looks again whether receipt went quiet.</summary>
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(20);

    private readonly int _lanes = Math.Max(1, lanes);
    private readonly int _busyLanes = Math.Max(1, busyLanes);
    private readonly SemaphoreSlim _slotFreed = new(0, 1);
    private readonly Lock _lock = new();
    private int _running;
    private int _mostRunningWhileBusy;

    public int Running => Volatile.Read(ref _running);

    public int MostRunningWhileBusy => Volatile.Read(ref _mostRunningWhileBusy);

    /// <summary>Takes a slot; when <paramref name="stop"/> is cancelled it admits at once (the caller
    /// then drops the batch instead of running it). Pair with <see cref="Leave"/>.</summary>
    public async Task EnterAsync(CancellationToken stop)
    {
        for (var wait = 0L; wait < long.MaxValue; wait++)
        {
            var busy = pressure?.IsBusy == true;
            var cap = busy ? _busyLanes : _lanes;
            lock (_lock)
            {
                if (_running < cap || stop.IsCancellationRequested)
                {
                    _running++;
                    if (busy && _running > _mostRunningWhileBusy)
                    {
                        _mostRunningWhileBusy = _running;
                    }
                    return;
                }
            }
            try
            {
                await _slotFreed.WaitAsync(s_poll, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping: the next pass admits.
            }
        }
    }

    public void Leave()
    {
        lock (_lock)
        {
            _running--;
        }
        if (_slotFreed.CurrentCount == 0)
        {
            try
            {
                _slotFreed.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another lane signalled first: one wake-up is enough, waiters also poll.
            }
        }
    }

    public void Dispose() => _slotFreed.Dispose();
}
