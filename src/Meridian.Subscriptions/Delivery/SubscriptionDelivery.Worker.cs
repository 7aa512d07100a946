using Meridian.Subscriptions.Model;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions.Delivery;

/// <summary>One subscription's worker: handshake, heartbeat, then its due notifications in order.</summary>
public sealed partial class SubscriptionDelivery
{
    /// <param name="prefetched">The subscription's due notifications as the pass read them (null: read the queue).</param>
    /// <returns>Whether it sent or recorded anything (otherwise nothing changed for the next pass to see).</returns>
    private async Task<bool> WorkAsync(string tenant, string id, Prefetched? prefetched, CancellationToken ct)
    {
        if (_registry.Find(tenant, id) is not { } s)
        {
            return false; // not served (off, deleted, invalid, creator unknown): its queue waits
        }
        var d = s.Definition;
        var key = (tenant, id);
        // Only backport Bundles carry events-since-subscription-start; R4 workers read the state on failure only.
        var state = d.IsTopicBased ? await _queue.GetStateAsync(tenant, id, ct).ConfigureAwait(false) : null;
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
                return true;
            }
            _controlRetryAt.TryRemove(key, out _);
            _lastSent[key] = _clock.GetUtcNow();
            await _lifecycle.ActivateAsync(s, ct).ConfigureAwait(false);
            s = _registry.Find(tenant, id) ?? s;
            d = s.Definition;
        }
        var sent = 0;
        while (sent < _options.BatchPerPass)
        {
            var asked = _options.BatchPerPass - sent;
            // Sent but not yet marked (the acks flush every few ms): never send those twice. Read before
            // the queue: a run that leaves the acks is committed first, so the query then sees it delivered.
            // Exact runs, not "everything up to the highest sent": a replayed dead letter below a run sent
            // meanwhile is due now, not after the flush.
            var acked = _acks.Runs(tenant, id);
            var queued = prefetched is null
                ? await _queue.PendingAsync(tenant, id, asked, ct).ConfigureAwait(false)
                : prefetched.Events.Length <= asked ? prefetched.Events : [.. prefetched.Events.Take(asked)];
            var ackedAtRead = prefetched?.AckedAtRead ?? [];
            prefetched = null;
            var pending = acked.IsEmpty && ackedAtRead.IsDefaultOrEmpty
                ? queued
                : [.. queued.Where(e => !DeliveredAcks.Contains(acked, e.EventNumber) && !DeliveredAcks.Contains(ackedAtRead, e.EventNumber))];
            var now = _clock.GetUtcNow();
            if (pending.IsEmpty || pending[0].NextAttempt > now)
            {
                break;
            }
            if (pending[0].Enqueued < now - _options.RetryBudget)
            {
                var e = pending[0];
                var error = $"retry budget of {_options.RetryBudget} spent; last error: {e.LastError ?? "none"}";
                var dead = await _queue.DeadLetterAsync(tenant, id, now - _options.RetryBudget, error, ct).ConfigureAwait(false);
                _workerTrouble[key] = System.Diagnostics.Stopwatch.GetTimestamp();
                _metrics.DeadLettered(d, dead);
                await _lifecycle.SetStatusAsync(s, SubscriptionStatusCodes.Error, $"{dead} notification(s) dead-lettered: {error}", ct).ConfigureAwait(false);
                s = _registry.Find(tenant, id) ?? s;
                continue;
            }
            // The due prefix, in event-number order: it stops at a notification waiting for its retry or past its budget.
            var due = pending.TakeWhile(e => e.NextAttempt <= now && e.Enqueued >= now - _options.RetryBudget).ToList();
            var (delivered, failure) = d.IsTopicBased
                ? await SendBundlesAsync(s, due, state, ct).ConfigureAwait(false)
                : await SendEachAsync(s, due, ct).ConfigureAwait(false);
            sent += delivered;
            if (delivered > 0)
            {
                _lastSent[key] = _clock.GetUtcNow();
                if (_registry.Find(tenant, id) is { Definition.Status: SubscriptionStatusCodes.Error } erring)
                {
                    await _lifecycle.SetStatusAsync(erring, SubscriptionStatusCodes.Active, null, ct).ConfigureAwait(false);
                }
            }
            if (failure is { } f)
            {
                await _queue.MarkFailedAsync(tenant, id, f.Event.EventNumber, now + Backoff(f.Event.Attempts + 1), f.Error, ct).ConfigureAwait(false);
                _workerTrouble[key] = System.Diagnostics.Stopwatch.GetTimestamp();
                _metrics.Retried(d);
                state ??= await _queue.GetStateAsync(tenant, id, ct).ConfigureAwait(false);
                if (_registry.Find(tenant, id) is { } current && (current.Definition.Status != SubscriptionStatusCodes.Error || state?.LastError != f.Error))
                {
                    await _lifecycle.SetStatusAsync(current, SubscriptionStatusCodes.Error, f.Error, ct).ConfigureAwait(false);
                }
                return true;
            }
            if (due.Count < pending.Length || queued.Length < asked || pending.Length < queued.Length)
            {
                break; // nothing more queued now, or the rest waits for a retry time or the dead-letter check of the next pass
            }
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
        return sent > 0;
    }

    /// <summary>R4: one message per notification (the R4 payloads carry one resource each), in order;
    /// the delivered prefix is marked in one statement. Stops at the first failure.</summary>
    private async Task<(int Delivered, (QueuedEvent Event, string Error)? Failure)> SendEachAsync(RegisteredSubscription s, List<QueuedEvent> due, CancellationToken ct)
    {
        var d = s.Definition;
        var delivered = 0;
        (QueuedEvent, string)? failure = null;
        foreach (var e in due)
        {
            var resource = e.Kind == Meridian.Storage.ChangeKind.Delete || d.Payload != PayloadContent.FullResource
                ? null
                : await _versions.ReadAsync(_store, d.Tenant, e.ResourceType, e.ResourceId, e.VersionId, ct).ConfigureAwait(false);
            var result = await SendAsync(s, _builder.Event(d, e, resource, StatusOf(s), e.EventNumber), ct).ConfigureAwait(false);
            if (!result.Ok)
            {
                failure = (e, result.Error ?? "failed");
                break;
            }
            delivered++;
        }
        Mark(s, due, delivered);
        return (delivered, failure);
    }

    /// <summary>Backport: the due notifications in Bundles of up to <see cref="SubscriptionOptions.MaxEventsPerNotification"/>
    /// consecutive events each (the IG lets one notification carry several events; each keeps its event
    /// number, so receivers still de-duplicate). Stops at the first Bundle that fails.</summary>
    private async Task<(int Delivered, (QueuedEvent Event, string Error)? Failure)> SendBundlesAsync(RegisteredSubscription s, List<QueuedEvent> due, SubscriptionState? state, CancellationToken ct)
    {
        var d = s.Definition;
        var delivered = 0;
        foreach (var chunk in due.Chunk(_options.MaxEventsPerNotification))
        {
            var events = new List<(QueuedEvent, Meridian.Storage.StoredResource?)>(chunk.Length);
            foreach (var e in chunk)
            {
                var resource = e.Kind == Meridian.Storage.ChangeKind.Delete || d.Payload != PayloadContent.FullResource
                    ? null
                    : await _versions.ReadAsync(_store, d.Tenant, e.ResourceType, e.ResourceId, e.VersionId, ct).ConfigureAwait(false);
                events.Add((e, resource));
            }
            var result = await SendAsync(s, _builder.Events(d, events, StatusOf(s), Math.Max(state?.LastEventNumber ?? 0, chunk[^1].EventNumber)), ct).ConfigureAwait(false);
            if (!result.Ok)
            {
                Mark(s, due, delivered);
                return (delivered, (chunk[0], result.Error ?? "failed"));
            }
            delivered += chunk.Length;
        }
        Mark(s, due, delivered);
        return (delivered, null);
    }

    /// <summary>Hands the delivered prefix to the acks (marked in the queue by the next flush) and records latencies.</summary>
    private void Mark(RegisteredSubscription s, List<QueuedEvent> due, int delivered)
    {
        if (delivered == 0)
        {
            return;
        }
        var d = s.Definition;
        var at = System.Diagnostics.Stopwatch.GetTimestamp();
        // One run per stretch of consecutive numbers: a gap is a notification not sent (a dead letter,
        // or one delivered before a replay put an older one back), never covered by a run.
        var start = 0;
        for (var i = 1; i <= delivered; i++)
        {
            if (i == delivered || due[i].EventNumber != due[i - 1].EventNumber + 1)
            {
                _acks.Add(d.Tenant, d.Id, due[start].EventNumber, due[i - 1].EventNumber);
                RecordSent((d.Tenant, d.Id), due[start].EventNumber, due[i - 1].EventNumber, at);
                start = i;
            }
        }
        var now = _clock.GetUtcNow();
        for (var i = 0; i < delivered; i++)
        {
            _metrics.Delivered(d, (now - due[i].CommitTime).TotalMilliseconds);
        }
    }

    private static string StatusOf(RegisteredSubscription s) => s.Definition.Status;

    private Task<SendResult> SendAsync(RegisteredSubscription s, OutgoingMessage message, CancellationToken ct) =>
        _guards.RunAsync(s.Definition.EndpointKey, t => _sender.SendAsync(s.Definition.Tenant, s.Definition.Id, message, t), ct);
}
