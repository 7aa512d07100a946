using System.Threading.Channels;

namespace Meridian.Storage.Relational.Write;

/// <summary>
/// The background half of deferred indexing: woken after commits that left index work
/// (<see cref="Notify"/>, started on first use), it waits <c>delay</c> so one pass takes the
/// writes of many commits, then runs <c>indexAll</c>. Also the gate that keeps one pass of this
/// process at a time (searches that index themselves take it too).
/// </summary>
internal sealed class DeferredIndexLoop(Func<CancellationToken, Task> indexAll, TimeSpan delay) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _startLock = new();
    private Task? _loop;

    public void Notify()
    {
        lock (_startLock)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }
            _loop ??= Task.Run(RunAsync);
        }
        _signal.Writer.TryWrite(true);
    }

    public Task EnterAsync(CancellationToken ct) => _gate.WaitAsync(ct);

    public void Exit() => _gate.Release();

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        try
        {
            while (await _signal.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                _signal.Reader.TryRead(out _);
                // Real time, not the store's clock: tests pin that, and this only batches work.
                await Task.Delay(delay, stop).ConfigureAwait(false);
                try
                {
                    await indexAll(stop).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    // Database unavailable: try again later; searches that need the rows index themselves.
                    StoreTelemetry.DeferredIndexFailures.Add(1);
                    await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                    _signal.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: the durable position lets the next start resume.
        }
    }

    /// <summary>Stops the loop (a pass in flight is cancelled and rolls back).</summary>
    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_startLock)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }
            _stop.Cancel();
            loop = _loop;
        }
        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }
    }
}
