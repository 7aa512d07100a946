using System.Threading.Channels;
using Meridian.Storage;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// One consumer reading its quorum queue until disposed. Each session opens a channel,
/// declares the topology, consumes with manual acks and a prefetch, and hands batches in
/// order to the consumer: events at or below the durable position are skipped (duplicates
/// after a re-publish or a redelivery), the rest are handled, the position is advanced, then
/// the batch is acknowledged. A failed batch is retried after a backoff while it stays
/// unacknowledged; after a few failures in a row the channel is closed, which returns (requeues)
/// everything unacknowledged in order to be offered again, to this node or, with single active
/// consumer, to the next one. A lost connection ends the session the same way; the loop opens
/// a new one after a backoff. With a <see cref="ChangeHistory"/>, the first batch of each session
/// (and a <see cref="CatchUpMarker"/>) first backfills from the feed whatever lies between the
/// durable position and the queue, so a consumer added later gets its history without a gap.
/// </summary>
internal sealed class QueueSubscription : IAsyncDisposable
{
    private readonly RabbitMqConnectionSource _connections;
    private readonly RabbitMqTransportOptions _options;
    private readonly RabbitMqMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IEventConsumer _consumer;
    private readonly IConsumerPositions _positions;
    private readonly ChangeHistory? _history;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _handlerFailures;
    private Task _run = Task.CompletedTask;

    public QueueSubscription(RabbitMqConnectionSource connections, RabbitMqTransportOptions options, RabbitMqMetrics metrics,
        ILogger logger, IEventConsumer consumer, IConsumerPositions positions, ChangeHistory? history)
    {
        (_connections, _options, _metrics, _logger, _consumer, _positions, _history) = (connections, options, metrics, logger, consumer, positions, history);
    }

    /// <summary>Starts the loop; completes once the first session consumes or has failed
    /// (the loop keeps retrying either way), so callers know the queue exists when it can.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return _firstAttempt.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
        {
            try
            {
                await RunSessionAsync(() => attempt = 0, stop);
            }
            catch (ConsumerReleasedException)
            {
                // Already backed off while retrying; subscribe again at once (after the close).
                continue;
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Whatever the last attempt failed with while we were being stopped (a refused
                // connection racing the token, a channel closed under us): stopping is the news.
                break;
            }
            catch (Exception ex)
            {
                _firstAttempt.TrySetResult();
                var delay = Backoff.For(attempt, _options.MinBackoff, _options.MaxBackoff);
                RabbitMqLog.ConsumerReconnect(_logger, _consumer.Name, ex.Message, delay);
                try
                {
                    await Task.Delay(delay, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        _firstAttempt.TrySetResult();
    }

    private async Task RunSessionAsync(Action connected, CancellationToken stop)
    {
        var connection = await _connections.GetAsync(stop);
        var channel = await connection.CreateChannelAsync(cancellationToken: stop);
        try
        {
            var inbox = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            channel.ChannelShutdownAsync += (_, e) =>
            {
                inbox.Writer.TryComplete(new IOException($"channel closed: {e.ReplyText}"));
                return Task.CompletedTask;
            };
            await RabbitMqTopology.DeclareExchangeAsync(channel, _options, stop);
            var queue = await RabbitMqTopology.DeclareConsumerQueueAsync(channel, _options, _consumer.Name, stop);
            await channel.BasicQosAsync(0, _options.Prefetch, global: false, stop);
            var basicConsumer = new AsyncEventingBasicConsumer(channel);
            basicConsumer.ReceivedAsync += (_, e) =>
            {
                // The body is only valid during this callback: decode it here.
                var marker = CatchUpMarker.Is(e.BasicProperties);
                inbox.Writer.TryWrite(new Delivery(e.DeliveryTag, e.Redelivered, marker ? null : ChangeMessage.TryDecode(e.Body.Span), e.BasicProperties.MessageId, marker));
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(queue, autoAck: false, consumerTag: "", noLocal: false, exclusive: false,
                arguments: null, basicConsumer, stop);
            if (_history is not null) await CatchUpMarker.SendAsync(channel, queue, stop);
            connected();
            _firstAttempt.TrySetResult();
            RabbitMqLog.Consuming(_logger, _consumer.Name, queue);
            await ConsumeAsync(channel, inbox.Reader, stop);
        }
        finally
        {
            await ConfirmingPublisher.CloseQuietlyAsync(channel);
        }
    }

    private async Task ConsumeAsync(IChannel channel, ChannelReader<Delivery> inbox, CancellationToken stop)
    {
        // Read at every session: another node may have advanced it while this one was not active.
        var position = await _positions.GetAsync(_consumer.Name, stop);
        var batch = new List<Delivery>(_options.MaxBatch);
        var gapChecked = _history is null;
        while (await inbox.WaitToReadAsync(stop))
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && inbox.TryRead(out var delivery)) batch.Add(delivery);
            var marker = batch.Exists(d => d.CatchUp);
            if (_history is not null && (!gapChecked || marker))
            {
                // Active now (the broker delivers to one consumer at a time): the position may
                // have moved on another node while this one waited, so read it again first.
                position = Math.Max(position, await _positions.GetAsync(_consumer.Name, stop));
                var first = batch.Find(d => d.Change is { } c && c.Sequence > position)?.Change?.Sequence;
                if (marker || first is not null)
                {
                    position = await BackfillAsync(channel, _history, position, marker ? long.MaxValue : first!.Value, stop);
                    gapChecked = true;
                }
            }
            else if (batch.Exists(d => d.Redelivered))
            {
                // Redelivered messages come from a node that stopped (or from our own earlier
                // session): it may have finished some of them, so ask the database again. A node
                // that waited as the inactive consumer for a long time has an old position too.
                position = Math.Max(position, await _positions.GetAsync(_consumer.Name, stop));
            }
            var fresh = Fresh(batch, position);
            if (fresh.Count > 0)
            {
                await HandleUntilDoneAsync(channel, fresh, stop);
                position = fresh[^1].Sequence;
            }
            await channel.BasicAckAsync(batch[^1].Tag, multiple: true, stop);
        }
    }

    /// <summary>The events of a batch the consumer has not finished yet, in order.</summary>
    private List<ChangeRecord> Fresh(List<Delivery> batch, long position)
    {
        var fresh = new List<ChangeRecord>(batch.Count);
        var skipped = 0;
        foreach (var delivery in batch)
        {
            if (delivery.CatchUp) continue;
            _metrics.Delivered(_consumer.Name, delivery.Redelivered);
            if (delivery.Change is not { } change)
            {
                // Never one of ours; requeueing it would block the queue forever.
                _metrics.Malformed(_consumer.Name);
                RabbitMqLog.Malformed(_logger, _consumer.Name, delivery.MessageId);
                continue;
            }
            if (change.Sequence <= position) { skipped++; continue; }
            fresh.Add(change);
            position = change.Sequence;
        }
        if (skipped > 0) _metrics.DuplicatesSkipped(_consumer.Name, skipped);
        return fresh;
    }

    /// <summary>
    /// Hands the consumer, from the feed, the events after <paramref name="position"/> and
    /// before <paramref name="before"/> (the first queued event this session sees, or no bound
    /// for a catch-up marker): what the queue never held because it was declared later, or lost.
    /// The batch that triggered it stays unacknowledged meanwhile, so no other node runs ahead;
    /// queued events the backfill already covered are then skipped as duplicates. Returns the
    /// new position.
    /// </summary>
    private async Task<long> BackfillAsync(IChannel channel, ChangeHistory history, long position, long before, CancellationToken stop)
    {
        if (position == 0 && _options.Start == ConsumerStart.Now) return position;
        var backfilled = 0;
        while (!stop.IsCancellationRequested)
        {
            var page = await history(position, _options.MaxBatch, stop);
            var missing = page.Where(c => c.Sequence > position && c.Sequence < before).ToList();
            if (missing.Count == 0) break;
            await HandleUntilDoneAsync(channel, missing, stop);
            position = missing[^1].Sequence;
            backfilled += missing.Count;
            if (missing.Count < page.Count || page.Count < _options.MaxBatch) break;
        }
        if (backfilled > 0)
        {
            _metrics.Backfilled(_consumer.Name, backfilled);
            RabbitMqLog.Backfilled(_logger, _consumer.Name, backfilled, position);
        }
        return position;
    }

    /// <summary>
    /// Hands a batch to the consumer and advances its position, retrying a failure after a
    /// backoff while the batch stays unacknowledged: nothing behind it can overtake it, and no
    /// other node can take the queue meanwhile. After <see cref="RabbitMqTransportOptions.ReleaseAfterFailures"/>
    /// failures in a row the session ends: closing the channel returns every unacknowledged
    /// message to the queue in the order it was delivered, so this node or another one (single
    /// active consumer) is offered the same events again, in order.
    /// </summary>
    private async Task HandleUntilDoneAsync(IChannel channel, List<ChangeRecord> fresh, CancellationToken stop)
    {
        for (var failures = 1; ; failures++)
        {
            // The broker already took the batch back (lost channel): the next session gets it again.
            if (failures > 1 && !channel.IsOpen) throw new IOException("channel closed while retrying a failed batch");
            try
            {
                await _consumer.HandleAsync(fresh, stop);
                await _positions.AdvanceAsync(_consumer.Name, fresh[^1].Sequence, stop);
                _handlerFailures = 0;
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException && stop.IsCancellationRequested)
            {
                // A handler that failed because we are stopping: report the stop, not its error.
                throw new OperationCanceledException("consumer stopped; the last attempt failed: " + ex.Message, ex, stop);
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                _metrics.HandlerFailed(_consumer.Name);
                var delay = Backoff.For(_handlerFailures++, _options.MinBackoff, _options.MaxBackoff);
                RabbitMqLog.HandlerFailed(_logger, ex, _consumer.Name, fresh.Count, fresh[^1].Sequence, delay);
                await Task.Delay(delay, stop);
                if (failures >= _options.ReleaseAfterFailures) throw new ConsumerReleasedException(_consumer.Name, ex);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
            // Stopping is what was asked for.
        }
        _stop.Dispose();
    }

    /// <summary>A batch failed too often in a row: give the queue back and subscribe again.</summary>
    private sealed class ConsumerReleasedException(string consumer, Exception inner)
        : Exception($"consumer {consumer} released its queue after repeated failures", inner);

    private sealed record Delivery(ulong Tag, bool Redelivered, ChangeRecord? Change, string? MessageId, bool CatchUp);
}
