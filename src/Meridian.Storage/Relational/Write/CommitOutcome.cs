namespace Meridian.Storage.Relational.Write;

/// <summary>
/// How a group commit ended, told to whoever acted on a guess about it inside the transaction
/// (PostgreSQL's predicted audit-chain heads: a batch that chained onto a head that never
/// committed must make the next batches read it again). Completed exactly once, after the
/// commit or the rollback, on the committing writer; callbacks must be cheap and not throw.
/// </summary>
public sealed class CommitOutcome
{
    private readonly List<Action<bool>> _callbacks = [];
    private bool _completed;

    /// <summary>Runs <paramref name="callback"/> with <c>true</c> once the transaction committed,
    /// <c>false</c> once it was rolled back or failed.</summary>
    public void OnCompleted(Action<bool> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _callbacks.Add(callback);
    }

    internal void Complete(bool committed)
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        foreach (var callback in _callbacks)
        {
            callback(committed);
        }
    }
}
