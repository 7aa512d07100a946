using Meridian.Storage;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Meridian.Events.RabbitMq;

/// <summary>
/// Publishes batches in order on one confirm-mode channel and returns only when the broker
/// confirmed every message. A nack, a confirm timeout or a lost connection makes it publish
/// again from the first unconfirmed message on a fresh channel, after a backoff, until the
/// caller cancels: it never reports success for an unconfirmed message. Re-publishing can
/// duplicate messages (in order); consumers skip them by sequence.
/// </summary>
internal sealed class ConfirmingPublisher(
    RabbitMqConnectionSource connections, RabbitMqTransportOptions options, RabbitMqMetrics metrics, ILogger logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IChannel? _channel;
    private ConfirmTracker? _tracker;

    public async Task PublishAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return;
        var messages = events.Select(e => (Body: ChangeMessage.EncodeBody(e), Properties: ChangeMessage.Properties(e))).ToArray();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var confirmed = 0;
            for (var attempt = 0; ; attempt++)
            {
                string failure;
                try
                {
                    confirmed = await PublishFromAsync(messages, confirmed, cancellationToken);
                    if (confirmed == messages.Length) return;
                    failure = "the broker refused (nack) or did not confirm in time";
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = ex.Message;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // An attempt that failed while the caller was cancelling (a refused connection
                    // racing the token): the caller asked to stop, so that is what it learns.
                    throw new OperationCanceledException("publish cancelled; the last attempt failed: " + ex.Message, ex, cancellationToken);
                }
                metrics.PublishFailed();
                RabbitMqLog.PublishRetry(logger, confirmed, messages.Length, attempt + 1, failure);
                await ResetChannelAsync();
                await Task.Delay(Backoff.For(attempt, options.MinBackoff, options.MaxBackoff), cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Publishes messages[start..] and waits for their confirms; returns how many of
    /// the batch are confirmed from its beginning (all of them on success).</summary>
    private async Task<int> PublishFromAsync((byte[] Body, BasicProperties Properties)[] messages, int start, CancellationToken cancellationToken)
    {
        var (channel, tracker) = await ChannelAsync(cancellationToken);
        var confirms = new Task<bool>[messages.Length];
        var sent = start;
        try
        {
            for (var i = start; i < messages.Length; i++)
            {
                confirms[i] = tracker.Register(await channel.GetNextPublishSequenceNumberAsync(cancellationToken));
                await channel.BasicPublishAsync(options.Exchange, routingKey: "", mandatory: false, messages[i].Properties, messages[i].Body, cancellationToken);
                sent = i + 1;
            }
        }
        finally
        {
            metrics.Published(sent - start);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConfirmTimeout);
        var confirmed = start;
        for (var i = start; i < messages.Length; i++)
        {
            bool acked;
            try
            {
                acked = await confirms[i].WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                acked = false;
            }
            if (!acked) break;
            confirmed = i + 1;
        }
        metrics.Confirmed(confirmed - start);
        return confirmed;
    }

    private async Task<(IChannel, ConfirmTracker)> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open && _tracker is not null) return (open, _tracker);
        await ResetChannelAsync();
        var connection = await connections.GetAsync(cancellationToken);
        var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: false), cancellationToken);
        var tracker = new ConfirmTracker();
        channel.BasicAcksAsync += (_, e) => { tracker.Ack(e.DeliveryTag, e.Multiple); return Task.CompletedTask; };
        channel.BasicNacksAsync += (_, e) => { tracker.Nack(e.DeliveryTag, e.Multiple); return Task.CompletedTask; };
        channel.ChannelShutdownAsync += (_, e) => { tracker.Fail(new IOException($"channel closed: {e.ReplyText}")); return Task.CompletedTask; };
        try
        {
            await RabbitMqTopology.DeclareExchangeAsync(channel, options, cancellationToken);
            // Queues of known consumers exist before the first message, so none misses it.
            foreach (var consumer in options.KnownConsumers)
                await RabbitMqTopology.DeclareConsumerQueueAsync(channel, options, consumer, cancellationToken);
        }
        catch
        {
            await CloseQuietlyAsync(channel);
            throw;
        }
        (_channel, _tracker) = (channel, tracker);
        return (channel, tracker);
    }

    private async Task ResetChannelAsync()
    {
        var channel = _channel;
        _tracker?.Fail(new IOException("publisher channel reset"));
        (_channel, _tracker) = (null, null);
        if (channel is not null) await CloseQuietlyAsync(channel);
    }

    internal static async Task CloseQuietlyAsync(IChannel channel)
    {
        try
        {
            if (channel.IsOpen) await channel.CloseAsync();
        }
        catch (Exception)
        {
            // A channel on a lost connection cannot be closed politely; it is gone either way.
        }
        await channel.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await ResetChannelAsync();
        }
        finally
        {
            _gate.Release();
        }
        _gate.Dispose();
    }
}
