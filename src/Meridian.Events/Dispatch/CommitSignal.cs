using Meridian.Events.Internal;

namespace Meridian.Events.Dispatch;

/// <summary>
/// Tells the dispatcher that this node committed something, so it reads the feed at once
/// instead of at its next poll. Raised by <see cref="CommitSignalingStore"/> after a commit
/// returns; raising it is one TrySetResult, so writes never wait for the backbone.
/// </summary>
public sealed class CommitSignal
{
    private readonly Wakeup _wakeup = new();

    public void Raise() => _wakeup.Signal();

    internal Task WaitAsync(TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken) =>
        _wakeup.WaitAsync(timeout, clock, cancellationToken);
}
