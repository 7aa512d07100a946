using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using Meridian.Events;
using Meridian.Storage;

namespace Meridian.Subscriptions.Clinical;

/// <summary>
/// Hands each new clinical alert Communication to the out-of-band channels (email, SMS adapters)
/// and measures, per notification, the time from the commit of the report that caused it to the
/// channel accepting it (histogram <c>meridian.clinical.alert.latency</c>, ms, by channel, on meter
/// <c>Meridian.Subscriptions.Clinical</c>). A channel that refuses makes the batch fail, so the
/// backbone offers it again (at least once; the Communication id lets a gateway de-duplicate).
/// Webhooks and websockets need nothing here: they are Subscriptions on <c>Communication?category=alert</c>.
/// </summary>
public sealed class AlertDispatchConsumer : IEventConsumer, IDisposable
{
    private readonly IFhirStore _store;
    private readonly IReadOnlyList<IAlertChannel> _channels;
    private readonly TimeProvider _clock;
    private readonly Meter _meter = new("Meridian.Subscriptions.Clinical");
    private readonly Histogram<double> _latency;

    public AlertDispatchConsumer(IFhirStore store, IReadOnlyList<IAlertChannel> channels, TimeProvider? clock = null)
    {
        _store = store;
        _channels = channels;
        _clock = clock ?? TimeProvider.System;
        _latency = _meter.CreateHistogram<double>("meridian.clinical.alert.latency", unit: "ms", description: "Commit of the causing report to a channel accepting the alert");
    }

    public string Name => "clinical-alert-channels";

    public async Task HandleAsync(IReadOnlyList<ChangeRecord> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var change in events)
        {
            if (change.Type != "Communication" || change.Kind != ChangeKind.Create || _channels.Count == 0)
            {
                continue;
            }
            var stored = await _store.ReadVersionAsync(change.Tenant, change.Type, change.Id, change.VersionId, cancellationToken).ConfigureAwait(false);
            if (stored is null || stored.IsDeleted || Parse(change, stored.Json) is not { } alert)
            {
                continue;
            }
            foreach (var channel in _channels)
            {
                if (!await channel.SendAsync(alert, cancellationToken).ConfigureAwait(false))
                {
                    throw new InvalidOperationException($"alert channel {channel.Name} refused Communication/{change.Id}");
                }
                _latency.Record((_clock.GetUtcNow() - alert.SourceCommitted).TotalMilliseconds, new KeyValuePair<string, object?>("channel", channel.Name));
            }
        }
    }

    /// <summary>Only Communications written by <see cref="CriticalResultConsumer"/> (its identifier system).</summary>
    private static ClinicalAlert? Parse(ChangeRecord change, ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (!root.TryGetProperty("identifier", out var ids) || !ids.EnumerateArray().Any(i => i.TryGetProperty("system", out var s) && s.GetString() == CriticalResultConsumer.IdentifierSystem))
        {
            return null;
        }
        var committed = change.Time;
        if (root.TryGetProperty("extension", out var exts))
        {
            foreach (var e in exts.EnumerateArray())
            {
                if (e.TryGetProperty("url", out var u) && u.GetString() == CriticalResultConsumer.CommittedExtension
                    && DateTimeOffset.TryParse(e.GetProperty("valueInstant").GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
                {
                    committed = t;
                }
            }
        }
        var recipients = root.TryGetProperty("recipient", out var r) ? r.EnumerateArray().Select(x => x.GetProperty("reference").GetString() ?? "").ToList() : [];
        var text = root.TryGetProperty("payload", out var p) ? string.Join(" ", p.EnumerateArray().Select(x => x.TryGetProperty("contentString", out var c) ? c.GetString() : "")) : "";
        var subject = root.TryGetProperty("subject", out var sub) && sub.TryGetProperty("reference", out var sr) ? sr.GetString() : null;
        return new ClinicalAlert(change.Tenant, change.Id, subject, recipients, text, committed);
    }

    public void Dispose() => _meter.Dispose();
}
