using Meridian.Storage;

namespace Meridian.Events.RabbitMq.Tests;

/// <summary>
/// A consumer that records every event it finished, in order, into a log that two "nodes"
/// can share; <see cref="FailOnce"/> makes the first batch containing a sequence throw,
/// <see cref="FailTimes"/> the first few.
/// </summary>
internal sealed class RecordingConsumer(string name, HandledLog log, string node = "node") : IEventConsumer
{
    private readonly Dictionary<long, int> _failures = [];
    private readonly Lock _lock = new();

    public string Name { get; } = name;

    public int Failures { get; private set; }

    /// <summary>Simulated time spent per batch (a slower consumer makes mid-stream events likelier).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>A batch reaching this sequence waits for <see cref="Gate"/> before it finishes,
    /// so a test can hold the consumer mid-stream (0: never).</summary>
    public long HoldFrom { get; init; }

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once a batch is waiting at the gate.</summary>
    public bool Holding { get; private set; }

    public RecordingConsumer FailOnce(params long[] sequences)
    {
        foreach (var sequence in sequences) FailTimes(sequence, 1);
        return this;
    }

    public RecordingConsumer FailTimes(long sequence, int times)
    {
        lock (_lock) _failures[sequence] = times;
        return this;
    }

    public async Task HandleAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
    {
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay, cancellationToken);
        if (HoldFrom > 0 && events[^1].Sequence >= HoldFrom && !Gate.Task.IsCompleted)
        {
            Holding = true;
            await Gate.Task.WaitAsync(cancellationToken);
        }
        lock (_lock)
        {
            var poisoned = events.FirstOrDefault(e => _failures.GetValueOrDefault(e.Sequence) > 0);
            if (poisoned is not null)
            {
                _failures[poisoned.Sequence]--;
                Failures++;
                throw new InvalidOperationException($"simulated failure at sequence {poisoned.Sequence}");
            }
        }
        log.Add(node, events);
    }
}

/// <summary>Everything handled, in the order it was handled, by which node.</summary>
internal sealed class HandledLog
{
    private readonly Lock _lock = new();
    private readonly List<(string Node, ChangeRecord Event)> _entries = [];

    public void Add(string node, IEnumerable<ChangeRecord> events)
    {
        lock (_lock) _entries.AddRange(events.Select(e => (node, e)));
    }

    public IReadOnlyList<long> Sequences()
    {
        lock (_lock) return [.. _entries.Select(e => e.Event.Sequence)];
    }

    public IReadOnlyList<(string Node, ChangeRecord Event)> Entries()
    {
        lock (_lock) return [.. _entries];
    }

    public long Max()
    {
        lock (_lock) return _entries.Count == 0 ? 0 : _entries.Max(e => e.Event.Sequence);
    }
}
