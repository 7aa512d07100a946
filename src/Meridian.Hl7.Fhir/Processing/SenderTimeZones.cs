using System.Collections.Concurrent;
using Meridian.Hl7.Engine;
using Meridian.Hl7.Engine.Inbox;

namespace Meridian.Hl7.Fhir.Processing;

/// <summary>The time zone of a stored message's sender (<see cref="Hl7SenderOptions.TimeZone"/>),
/// resolved once per sender.</summary>
public static class SenderTimeZones
{
    public static Func<StoredHl7Message, TimeZoneInfo?> From(Hl7EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var zones = new ConcurrentDictionary<string, TimeZoneInfo?>(StringComparer.Ordinal);
        return message => zones.GetOrAdd(message.Sender, sender =>
        {
            var bar = sender.IndexOf('|', StringComparison.Ordinal);
            var settings = bar < 0 ? options.SenderFor(sender, "") : options.SenderFor(sender[..bar], sender[(bar + 1)..]);
            return settings?.TimeZone is { } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;
        });
    }
}
