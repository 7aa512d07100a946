using Meridian.Subscriptions.Model;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions.Delivery;

/// <summary>One subscription's worker: handshake, heartbeat, then its due notifications in order.</summary>
public sealed partial class SubscriptionDelivery
{
    private async Task WorkAsync(string tenant, string id, CancellationToken ct)
    {
        if (_registry.Find(tenant, id) is not { } s)
        {
            return; // not served (off, deleted, invalid, creator unknown): its queue waits
        }
        var d = s.Definition;
        var key = (tenant, id);
        var state = await _queue.GetStateAsync(tenant, id, ct).ConfigureAwait(false);
        var sinceStart = state?.LastEventNumber ?? 0;
        if (d.IsTopicBased && d.Status == SubscriptionStatusCodes.Requested)
        {
            var handshake = await SendAsync(s, _builder.Control(d, NotificationTypes.Handshake, SubscriptionStatusCodes.Requested, sinceStart), ct).ConfigureAwait(false);
            if (!handshake.Ok)
            {
                _controlRetryAt[key] = _clock.GetUtcNow() + Backoff(3);
                await _lifecycle.SetStatusAsync(s, SubscriptionStatusCodes.Error, "handshake failed: " + handshake.Error, ct).ConfigureAwait(false);
                if (_registry.Find(tenant, id) is { } now && now.Definition.VersionId == d.VersionId)
                {
                    _registry.Put(s); // still awaiting its handshake: the next pass tries it again
                }
                return;
            }
            _controlRetryAt.TryRemove(key, out _);
            _lastSent[key] = _clock.GetUtcNow();
            await _lifecycle.ActivateAsync(s, ct).ConfigureAwait(false);
            s = _registry.Find(tenant, id) ?? s;
            d = s.Definition;
        }
        for (var sent = 0; sent < _options.BatchPerPass; sent++)
        {
            var pending = await _queue.PendingAsync(tenant, id, 1, ct).ConfigureAwait(false);
            var now = _clock.GetUtcNow();
            if (pending.IsEmpty || pending[0].NextAttempt > now)
            {
                break;
            }
            var e = pending[0];
            if (e.Enqueued < now - _options.RetryBudget)
            {
                var error = $"retry budget of {_options.RetryBudget} spent; last error: {e.LastError ?? "none"}";
                var dead = await _queue.DeadLetterAsync(tenant, id, now - _options.RetryBudget, error, ct).ConfigureAwait(false);
                _metrics.DeadLettered(d, dead);
                await _lifecycle.SetStatusAsync(s, SubscriptionStatusCodes.Error, $"{dead} notification(s) dead-lettered: {error}", ct).ConfigureAwait(false);
                s = _registry.Find(tenant, id) ?? s;
                continue;
            }
            var resource = e.Kind == Meridian.Storage.ChangeKind.Delete || d.Payload != PayloadContent.FullResource
                ? null
                : await _store.ReadVersionAsync(tenant, e.ResourceType, e.ResourceId, e.VersionId, ct).ConfigureAwait(false);
            var result = await SendAsync(s, _builder.Event(d, e, resource, StatusOf(s), state?.LastEventNumber ?? e.EventNumber), ct).ConfigureAwait(false);
            if (result.Ok)
            {
                await _queue.MarkDeliveredAsync(tenant, id, e.EventNumber, ct).ConfigureAwait(false);
                _metrics.Delivered(d, (_clock.GetUtcNow() - e.CommitTime).TotalMilliseconds);
                _lastSent[key] = _clock.GetUtcNow();
                if (_registry.Find(tenant, id) is { Definition.Status: SubscriptionStatusCodes.Error } erring)
                {
                    await _lifecycle.SetStatusAsync(erring, SubscriptionStatusCodes.Active, null, ct).ConfigureAwait(false);
                }
                continue;
            }
            await _queue.MarkFailedAsync(tenant, id, e.EventNumber, now + Backoff(e.Attempts + 1), result.Error ?? "failed", ct).ConfigureAwait(false);
            _metrics.Retried(d);
            if (_registry.Find(tenant, id) is { } current && (current.Definition.Status != SubscriptionStatusCodes.Error || state?.LastError != result.Error))
            {
                await _lifecycle.SetStatusAsync(current, SubscriptionStatusCodes.Error, result.Error, ct).ConfigureAwait(false);
            }
            return;
        }
        if (d.IsTopicBased && d.HeartbeatPeriod is { } period && d.Status == SubscriptionStatusCodes.Active
            && _clock.GetUtcNow() - _lastSent.GetOrAdd(key, _clock.GetUtcNow()) >= period)
        {
            var beat = await SendAsync(s, _builder.Control(d, NotificationTypes.Heartbeat, StatusOf(s), sinceStart), ct).ConfigureAwait(false);
            if (beat.Ok)
            {
                _lastSent[key] = _clock.GetUtcNow();
            }
            else
            {
                _controlRetryAt[key] = _clock.GetUtcNow() + Backoff(3);
            }
        }
    }

    private static string StatusOf(RegisteredSubscription s) => s.Definition.Status;

    private Task<SendResult> SendAsync(RegisteredSubscription s, OutgoingMessage message, CancellationToken ct) =>
        _guards.RunAsync(s.Definition.EndpointKey, t => _sender.SendAsync(s.Definition.Tenant, s.Definition.Id, message, t), ct);
}
