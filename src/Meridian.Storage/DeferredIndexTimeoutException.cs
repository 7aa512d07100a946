namespace Meridian.Storage;

/// <summary>
/// A search that can reach a deferred-index type (<see cref="StoreOptions.DeferredIndexTypes"/>)
/// waited <see cref="StoreOptions.DeferredIndexWait"/> for the background indexer and gave up
/// rather than answer without records written before it. Transient: the same search is expected
/// to succeed later, so a host answers it as "unavailable, retry after
/// <see cref="RetryAfter"/>" (HTTP 503), not as a server fault.
/// </summary>
public sealed class DeferredIndexTimeoutException : TimeoutException
{
    public DeferredIndexTimeoutException()
    {
    }

    public DeferredIndexTimeoutException(string message)
        : base(message)
    {
    }

    public DeferredIndexTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DeferredIndexTimeoutException(string message, TimeSpan retryAfter)
        : base(message) => RetryAfter = retryAfter;

    /// <summary>When the client may usefully try again.</summary>
    public TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(1);
}
