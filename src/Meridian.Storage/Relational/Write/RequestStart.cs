namespace Meridian.Storage.Relational.Write;

/// <summary>
/// A group-commit request's set-up before its first own statement (enter its tenant's scope,
/// take its savepoint), run at most once and only when the request needs a statement: a
/// request whose rows all go in with the batch's deferred rows skips both round trips.
/// </summary>
internal sealed class RequestStart(Func<CancellationToken, Task> start)
{
    /// <summary>A write outside a group commit, already scoped by its caller: nothing to set up.</summary>
    public static RequestStart AlreadyStarted() => new(static _ => Task.CompletedTask) { Started = true };

    /// <summary>Whether the set-up ran: the request then may have written rows of its own.</summary>
    public bool Started { get; private set; }

    public async Task EnsureAsync(CancellationToken ct)
    {
        if (Started)
        {
            return;
        }
        Started = true;
        await start(ct).ConfigureAwait(false);
    }
}
