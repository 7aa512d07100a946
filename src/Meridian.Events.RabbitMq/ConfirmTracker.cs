namespace Meridian.Events.RabbitMq;

/// <summary>
/// Publisher confirms of one channel, tracked by publish sequence number. The library can
/// track them itself, but then every publish waits for its own confirm; tracking here lets a
/// batch be written in order in one go and awaited as a whole. True = acked, false = nacked;
/// a lost channel fails everything still outstanding.
/// </summary>
internal sealed class ConfirmTracker
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<ulong, TaskCompletionSource<bool>> _pending = [];
    private Exception? _failed;

    /// <summary>Registers a publish before it is sent (its confirm may arrive at once).</summary>
    public Task<bool> Register(ulong sequenceNumber)
    {
        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_failed is not null) completion.SetException(_failed);
            else _pending[sequenceNumber] = completion;
        }
        return completion.Task;
    }

    public void Ack(ulong deliveryTag, bool multiple) => Complete(deliveryTag, multiple, true);

    public void Nack(ulong deliveryTag, bool multiple) => Complete(deliveryTag, multiple, false);

    /// <summary>The channel is gone: nothing outstanding will ever be confirmed on it.</summary>
    public void Fail(Exception reason)
    {
        List<TaskCompletionSource<bool>> outstanding;
        lock (_lock)
        {
            _failed ??= reason;
            outstanding = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (var completion in outstanding) completion.TrySetException(reason);
    }

    private void Complete(ulong deliveryTag, bool multiple, bool acked)
    {
        List<TaskCompletionSource<bool>> done = [];
        lock (_lock)
        {
            if (multiple)
            {
                foreach (var key in _pending.Keys.TakeWhile(k => k <= deliveryTag).ToList())
                {
                    done.Add(_pending[key]);
                    _pending.Remove(key);
                }
            }
            else if (_pending.Remove(deliveryTag, out var single))
            {
                done.Add(single);
            }
        }
        foreach (var completion in done) completion.TrySetResult(acked);
    }
}
