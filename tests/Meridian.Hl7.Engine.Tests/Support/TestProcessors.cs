using System.Collections.Concurrent;
using Meridian.Hl7.Engine.Inbox;
using Meridian.Hl7.Engine.Processing;

namespace Meridian.Hl7.Engine.Tests.Support;

/// <summary>TEST processor: records what it was given, in order, and counts calls per message.</summary>
internal sealed class RecordingProcessor : IHl7MessageProcessor
{
    private int _running;
    private int _maxRunning;

    public ConcurrentQueue<StoredHl7Message> Processed { get; } = new();

    public ConcurrentDictionary<long, int> Calls { get; } = new();

    /// <summary>Messages whose control id this set contains fail (until removed).</summary>
    public ConcurrentDictionary<string, string> FailControlIds { get; } = new();

    /// <summary>Optional hook awaited inside processing (ordering and parallelism tests).</summary>
    public Func<StoredHl7Message, Task>? During { get; set; }

    public int MaxConcurrency => Volatile.Read(ref _maxRunning);

    public async Task<ProcessingOutcome> ProcessAsync(StoredHl7Message message, CancellationToken cancellationToken)
    {
        var running = Interlocked.Increment(ref _running);
        InterlockedMax(ref _maxRunning, running);
        try
        {
            Calls.AddOrUpdate(message.Id, 1, (_, n) => n + 1);
            if (During is { } hook)
            {
                await hook(message);
            }
            if (FailControlIds.TryGetValue(message.ControlId, out var reason))
            {
                return ProcessingOutcome.Failed(reason);
            }
            Processed.Enqueue(message);
            return ProcessingOutcome.Processed;
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
