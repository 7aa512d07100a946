using Meridian.Storage;

namespace Meridian.Events.Tests.Support;

/// <summary>
/// A consumer that remembers every batch it finished (and every call, failed ones included),
/// optionally failing the first <c>failFirst</c> calls that contain <c>failOn</c>, or blocking
/// until <see cref="Release"/>.
/// </summary>
public sealed class RecordingConsumer(string name, long failOn = -1, int failFirst = 0, bool block = false) : IEventConsumer
{
    private readonly Lock _gate = new();
    private readonly List<ChangeRecord> _handled = [];
    private readonly List<long> _calls = [];
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _failures;

    public string Name { get; } = name;

    public async Task HandleAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _calls.Add(events[0].Sequence);
        }
        if (block)
        {
            await _release.Task.WaitAsync(cancellationToken);
        }
        if (events.Any(e => e.Sequence == failOn) && Interlocked.Increment(ref _failures) <= failFirst)
        {
            throw new InvalidOperationException("consumer failure for the test");
        }
        lock (_gate)
        {
            _handled.AddRange(events);
        }
    }

    public void Release() => _release.TrySetResult();

    public IReadOnlyList<ChangeRecord> Handled
    {
        get
        {
            lock (_gate)
            {
                return [.. _handled];
            }
        }
    }

    public long[] Sequences => [.. Handled.Select(e => e.Sequence)];

    /// <summary>First sequence of every call, in call order (failed calls included).</summary>
    public long[] Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public int Failures => Volatile.Read(ref _failures);
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="seconds"/> pass (bounded; no timing asserted).</summary>
    public static async Task<bool> HoldsAsync(Func<bool> condition, int seconds = 60)
    {
        for (var i = 0; i < seconds * 20; i++)
        {
            if (condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return condition();
    }

    public static async Task<bool> HoldsAsync(Func<Task<bool>> condition, int seconds = 60)
    {
        for (var i = 0; i < seconds * 20; i++)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return await condition();
    }
}
