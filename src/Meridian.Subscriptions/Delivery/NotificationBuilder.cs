using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Meridian.Storage;
using Meridian.Subscriptions.Model;
using Meridian.Subscriptions.Queue;

namespace Meridian.Subscriptions.Delivery;

/// <summary>
/// Builds what goes on the wire. R4 criteria subscriptions (R4 Subscription, channel rest-hook):
/// no payload → an empty POST to the endpoint; a payload → the resource PUT to
/// <c>{endpoint}/{type}/{id}</c>. Backport topic subscriptions: a <c>history</c> Bundle whose
/// first entry is the SubscriptionStatus Parameters (subscription, topic, status, type,
/// events-since-subscription-start, one notification-event per event with its event number),
/// followed by the focus resources as the payload content allows (empty / id-only /
/// full-resource). Every message also carries <c>X-Meridian-Subscription</c> and
/// <c>X-Meridian-Event-Number</c> headers so receivers of payload-less R4 notifications can
/// de-duplicate too.
/// </summary>
public sealed class NotificationBuilder(SubscriptionOptions options)
{
    public const string EventNumberHeader = "X-Meridian-Event-Number";
    public const string SubscriptionHeader = "X-Meridian-Subscription";

    public string FhirBase(string tenant) =>
        options.PublicBaseUrl.TrimEnd('/') + (tenant == Meridian.Api.FhirApi.DefaultTenant ? "/fhir" : $"/t/{tenant}/fhir");

    /// <summary>One event to a rest-hook or websocket. <paramref name="resource"/> is the event's version (null for deletes).</summary>
    public OutgoingMessage Event(SubscriptionDefinition s, QueuedEvent e, StoredResource? resource, string status, long eventsSinceStart)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(e);
        var headers = Headers(s, e.EventNumber.ToString(CultureInfo.InvariantCulture));
        if (s.IsTopicBased)
        {
            var bundle = Bundle(s, NotificationTypes.Event, status, eventsSinceStart, [(e, resource)], error: null);
            return Http(s, "POST", s.Endpoint, bundle, headers);
        }
        if (s.Channel == ChannelKind.WebSocket)
        {
            return new OutgoingMessage("WS", null, default, null, headers) { Text = "ping " + s.Id };
        }
        if (s.Payload == PayloadContent.Empty || resource is null || resource.IsDeleted)
        {
            return new OutgoingMessage("POST", new Uri(s.Endpoint!), ReadOnlyMemory<byte>.Empty, null, headers);
        }
        var url = new Uri(s.Endpoint!.TrimEnd('/') + "/" + e.ResourceType + "/" + Uri.EscapeDataString(e.ResourceId));
        return new OutgoingMessage("PUT", url, resource.Json, s.PayloadMimeType ?? "application/fhir+json", headers);
    }

    /// <summary>Backport: several consecutive events of one subscription in one notification Bundle
    /// (one <c>notification-event</c> per event, each with its event number).</summary>
    public OutgoingMessage Events(SubscriptionDefinition s, IReadOnlyList<(QueuedEvent Event, StoredResource? Resource)> events, string status, long eventsSinceStart)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("A notification carries at least one event.", nameof(events));
        }
        var first = events[0].Event.EventNumber.ToString(CultureInfo.InvariantCulture);
        var last = events[^1].Event.EventNumber.ToString(CultureInfo.InvariantCulture);
        // The header names the event numbers the Bundle carries ("7" or "7-9"), for receivers of either kind.
        var headers = Headers(s, first == last ? first : first + "-" + last);
        var bundle = Bundle(s, NotificationTypes.Event, status, eventsSinceStart, events, error: null);
        return Http(s, "POST", s.Endpoint, bundle, headers);
    }

    /// <summary>A backport handshake or heartbeat (no events).</summary>
    public OutgoingMessage Control(SubscriptionDefinition s, string type, string status, long eventsSinceStart)
    {
        ArgumentNullException.ThrowIfNull(s);
        var bundle = Bundle(s, type, status, eventsSinceStart, [], error: null);
        return Http(s, "POST", s.Endpoint, bundle, Headers(s, null));
    }

    /// <summary>The SubscriptionStatus Parameters alone (<c>$status</c>), as JSON.</summary>
    public byte[] StatusParameters(SubscriptionDefinition s, string type, string status, long eventsSinceStart, string? error)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteStatus(w, s, type, status, eventsSinceStart, [], error);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A notification Bundle (<c>$events</c> uses type query-event).</summary>
    public byte[] Bundle(SubscriptionDefinition s, string type, string status, long eventsSinceStart, IReadOnlyList<(QueuedEvent Event, StoredResource? Resource)> events, string? error)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(events);
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("resourceType", "Bundle");
            w.WriteString("id", Guid.NewGuid().ToString("D"));
            w.WriteString("type", "history");
            w.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteStartArray("entry");
            w.WriteStartObject();
            w.WriteString("fullUrl", "urn:uuid:" + Guid.NewGuid().ToString("D"));
            w.WritePropertyName("resource");
            WriteStatus(w, s, type, status, eventsSinceStart, events.Select(x => x.Event).ToList(), error);
            w.WriteEndObject();
            if (s.Payload != PayloadContent.Empty)
            {
                foreach (var (e, resource) in events)
                {
                    w.WriteStartObject();
                    w.WriteString("fullUrl", $"{FhirBase(s.Tenant)}/{e.ResourceType}/{e.ResourceId}");
                    if (s.Payload == PayloadContent.FullResource && resource is { IsDeleted: false })
                    {
                        w.WritePropertyName("resource");
                        w.WriteRawValue(resource.Json.Span, skipInputValidation: true);
                    }
                    w.WriteStartObject("request");
                    w.WriteString("method", e.Kind switch { ChangeKind.Create => "POST", ChangeKind.Delete => "DELETE", _ => "PUT" });
                    w.WriteString("url", e.Kind == ChangeKind.Create ? e.ResourceType : $"{e.ResourceType}/{e.ResourceId}");
                    w.WriteEndObject();
                    w.WriteStartObject("response");
                    w.WriteString("status", e.Kind switch { ChangeKind.Create => "201", ChangeKind.Delete => "204", _ => "200" });
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private void WriteStatus(Utf8JsonWriter w, SubscriptionDefinition s, string type, string status, long eventsSinceStart, IReadOnlyList<QueuedEvent> events, string? error)
    {
        w.WriteStartObject();
        w.WriteString("resourceType", "Parameters");
        w.WriteStartObject("meta");
        w.WriteStartArray("profile");
        w.WriteStringValue("http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("parameter");
        Param(w, "subscription", () => { w.WriteStartObject("valueReference"); w.WriteString("reference", $"{FhirBase(s.Tenant)}/Subscription/{s.Id}"); w.WriteEndObject(); });
        if (s.Topic is not null)
        {
            Param(w, "topic", () => w.WriteString("valueCanonical", s.Topic));
        }
        Param(w, "status", () => w.WriteString("valueCode", status));
        Param(w, "type", () => w.WriteString("valueCode", type));
        Param(w, "events-since-subscription-start", () => w.WriteString("valueString", eventsSinceStart.ToString(CultureInfo.InvariantCulture)));
        foreach (var e in events)
        {
            w.WriteStartObject();
            w.WriteString("name", "notification-event");
            w.WriteStartArray("part");
            Param(w, "event-number", () => w.WriteString("valueString", e.EventNumber.ToString(CultureInfo.InvariantCulture)));
            Param(w, "timestamp", () => w.WriteString("valueInstant", e.CommitTime.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)));
            if (s.Payload != PayloadContent.Empty)
            {
                Param(w, "focus", () => { w.WriteStartObject("valueReference"); w.WriteString("reference", $"{FhirBase(s.Tenant)}/{e.ResourceType}/{e.ResourceId}"); w.WriteEndObject(); });
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        if (error is not null)
        {
            Param(w, "error", () =>
            {
                w.WriteStartObject("valueCodeableConcept");
                w.WriteString("text", error);
                w.WriteEndObject();
            });
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Param(Utf8JsonWriter w, string name, Action value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        value();
        w.WriteEndObject();
    }

    private static OutgoingMessage Http(SubscriptionDefinition s, string method, string? endpoint, byte[] body, ImmutableArray<KeyValuePair<string, string>> headers) =>
        s.Channel == ChannelKind.WebSocket
            ? new OutgoingMessage("WS", null, default, null, headers) { Text = Encoding.UTF8.GetString(body) }
            : new OutgoingMessage(method, new Uri(endpoint!), body, "application/fhir+json", headers);

    private static ImmutableArray<KeyValuePair<string, string>> Headers(SubscriptionDefinition s, string? eventNumber)
    {
        var headers = s.Headers.ToBuilder();
        headers.Add(new(SubscriptionHeader, s.Id));
        if (eventNumber is not null)
        {
            headers.Add(new(EventNumberHeader, eventNumber));
        }
        return headers.ToImmutable();
    }
}
