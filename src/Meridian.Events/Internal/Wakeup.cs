namespace Meridian.Events.Internal;

/// <summary>
/// A wake-up call that is never lost: <see cref="Signal"/> before <see cref="WaitAsync"/> makes
/// the next wait return at once. Waiters reset it after waking and before re-reading their
/// source, so a signal that arrives while they read is kept for the next wait. Signalling is a
/// single TrySetResult: cheap enough to call after every commit.
/// </summary>
internal sealed class Wakeup
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Signal() => Volatile.Read(ref _next).TrySetResult();

    /// <summary>Returns when signalled or after <paramref name="timeout"/>; throws only on cancellation.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _next);
        if (!current.Task.IsCompleted)
        {
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var delay = Task.Delay(timeout, clock, timer.Token);
            await Task.WhenAny(current.Task, delay).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), current);
        }
    }
}
