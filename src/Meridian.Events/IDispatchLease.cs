namespace Meridian.Events;

/// <summary>
/// A time-limited lease in the database that lets exactly one node dispatch a partition of the
/// change feed at a time. The holder renews it well before it expires; a node that dies simply
/// stops renewing and another takes over after the expiry.
/// </summary>
public interface IDispatchLease
{
    /// <summary>Takes or renews the lease for <paramref name="partition"/> on behalf of
    /// <paramref name="holder"/>. True while this holder owns it.</summary>
    Task<bool> TryAcquireAsync(string partition, string holder, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Gives the lease up early (clean shutdown) if <paramref name="holder"/> holds it.</summary>
    Task ReleaseAsync(string partition, string holder, CancellationToken cancellationToken);
}
