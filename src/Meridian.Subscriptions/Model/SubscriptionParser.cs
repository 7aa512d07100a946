using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Meridian.Subscriptions.Model;

/// <summary>
/// Reads a stored Subscription (R4 criteria, or the R5 backport profile) into a
/// <see cref="SubscriptionDefinition"/>, or says why it cannot be served (the reason becomes
/// the subscription's error).
/// </summary>
public static class SubscriptionParser
{
    public const string BackportBase = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/";
    public const string FilterCriteria = BackportBase + "backport-filter-criteria";
    public const string PayloadContentExtension = BackportBase + "backport-payload-content";
    public const string HeartbeatPeriod = BackportBase + "backport-heartbeat-period";

    public static (SubscriptionDefinition? Definition, string? Problem) Parse(string tenant, string id, long versionId, ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray());
        var root = doc.RootElement;
        var status = Str(root, "status") ?? SubscriptionStatusCodes.Requested;
        if (!root.TryGetProperty("channel", out var channel) || channel.ValueKind != JsonValueKind.Object)
        {
            return (null, "Subscription.channel is missing.");
        }
        var channelType = Str(channel, "type");
        var kind = channelType switch
        {
            "rest-hook" => ChannelKind.RestHook,
            "websocket" => ChannelKind.WebSocket,
            _ => (ChannelKind?)null,
        };
        if (kind is null)
        {
            return (null, $"Channel type '{channelType}' is not supported (rest-hook, websocket).");
        }
        var endpoint = Str(channel, "endpoint");
        if (kind == ChannelKind.RestHook && (endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            return (null, "A rest-hook channel needs an absolute http(s) endpoint.");
        }
        var headers = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        if (channel.TryGetProperty("header", out var hs) && hs.ValueKind == JsonValueKind.Array)
        {
            foreach (var h in hs.EnumerateArray())
            {
                var text = h.ValueKind == JsonValueKind.String ? h.GetString() : null;
                var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
                if (text is null || colon <= 0)
                {
                    return (null, $"Channel header '{text}' is not 'Name: value'.");
                }
                headers.Add(new(text[..colon].Trim(), text[(colon + 1)..].Trim()));
            }
        }
        var mime = Str(channel, "payload");
        var content = mime is null ? PayloadContent.Empty : PayloadContent.FullResource;
        if (channel.TryGetProperty("_payload", out var payloadExt) && FindExtension(payloadExt, PayloadContentExtension) is { } pc)
        {
            PayloadContent? parsed = Str(pc, "valueCode") switch
            {
                "empty" => PayloadContent.Empty,
                "id-only" => PayloadContent.IdOnly,
                "full-resource" => PayloadContent.FullResource,
                _ => null,
            };
            if (parsed is null)
            {
                return (null, $"Payload content '{Str(pc, "valueCode")}' is not empty, id-only or full-resource.");
            }
            content = parsed.Value;
        }
        var criteria = Str(root, "criteria");
        var definition = new SubscriptionDefinition(tenant, id, versionId, status, kind.Value, endpoint, headers.ToImmutable(), content, mime)
        {
            End = Str(root, "end") is { } end && DateTimeOffset.TryParse(end, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var e) ? e : null,
        };
        if (criteria is null)
        {
            return (null, "Subscription.criteria is missing.");
        }
        if (IsCanonical(criteria))
        {
            var filters = ImmutableArray.CreateBuilder<(string, ImmutableArray<KeyValuePair<string, string>>)>();
            if (root.TryGetProperty("_criteria", out var critExt) && critExt.TryGetProperty("extension", out var exts))
            {
                foreach (var ext in exts.EnumerateArray())
                {
                    if (Str(ext, "url") == FilterCriteria)
                    {
                        if (QueryText.Split(Str(ext, "valueString")) is not { } f)
                        {
                            return (null, $"Filter '{Str(ext, "valueString")}' is not 'Type?params'.");
                        }
                        filters.Add(f);
                    }
                }
            }
            TimeSpan? heartbeat = null;
            if (FindExtension(channel, HeartbeatPeriod) is { } hb && hb.TryGetProperty("valueUnsignedInt", out var seconds) && seconds.TryGetInt32(out var s) && s > 0)
            {
                heartbeat = TimeSpan.FromSeconds(s);
            }
            return (definition with { Topic = criteria, Filters = filters.ToImmutable(), HeartbeatPeriod = heartbeat }, null);
        }
        if (QueryText.Split(criteria) is not { } split)
        {
            return (null, $"Criteria '{criteria}' is not 'Type?params' or a topic canonical.");
        }
        return (definition with { CriteriaType = split.Type, CriteriaParameters = split.Parameters }, null);
    }

    private static bool IsCanonical(string criteria) =>
        criteria.StartsWith("http://", StringComparison.Ordinal) || criteria.StartsWith("https://", StringComparison.Ordinal) || criteria.StartsWith("urn:", StringComparison.Ordinal);

    internal static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    internal static JsonElement? FindExtension(JsonElement element, string url)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("extension", out var exts) && exts.ValueKind == JsonValueKind.Array)
        {
            foreach (var ext in exts.EnumerateArray())
            {
                if (Str(ext, "url") == url)
                {
                    return ext;
                }
            }
        }
        return null;
    }
}
