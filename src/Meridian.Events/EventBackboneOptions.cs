namespace Meridian.Events;

/// <summary>Tuning of the backbone; the defaults suit one server and a few consumers.</summary>
public sealed record EventBackboneOptions
{
    /// <summary>The partition of the change feed this node dispatches (one lease per partition).
    /// The feed has one partition today; the name is the lease key.</summary>
    public string Partition { get; init; } = "feed";

    /// <summary>Most events read, published or handed to a consumer at once.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>How often the dispatcher looks for commits it was not signalled about (other
    /// nodes' writes, purges); local commits wake it at once.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Shortest time between two batches of the dispatcher or of one consumer when the
    /// previous batch was not full. Every batch ends in a durable position write (an fsync on
    /// SQLite, behind the same writer as the FHIR commits); this caps those writes at a few
    /// dozen a second while events trickle, at the price of this much latency. A full batch
    /// (a backlog) is followed at once.</summary>
    public TimeSpan BatchInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How long a dispatch lease lasts; the holder renews it every third of this, and
    /// another node takes over this long after the holder stopped renewing.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>First and largest pause before a failed batch (consumer threw, transport
    /// refused) is tried again; exponential with jitter in between, for ever.</summary>
    public TimeSpan RetryFirst { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan RetryMax { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Who this node is in the lease table: unique per process.</summary>
    public string Holder { get; init; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Told about every failure the backbone absorbs and retries (a consumer that
    /// threw, a transport or database error); the host logs them.</summary>
    public Action<EventBackboneError>? OnError { get; init; }

    internal Internal.Backoff Backoff => new(RetryFirst, RetryMax);

    /// <summary>The pause before retry number <paramref name="failures"/> (1 = after the first
    /// failure): exponential from <see cref="RetryFirst"/> to <see cref="RetryMax"/>, with jitter.
    /// For transports and hosts that retry on the backbone's schedule.</summary>
    public TimeSpan RetryDelay(int failures) => Backoff.Delay(failures);

    internal void Report(string component, string name, Exception error) =>
        OnError?.Invoke(new EventBackboneError(component, name, error));
}

/// <summary>A failure the backbone absorbed: <see cref="Component"/> is <c>dispatcher</c> or
/// <c>consumer</c>, <see cref="Name"/> the partition or consumer.</summary>
public sealed record EventBackboneError(string Component, string Name, Exception Error);
