using System.Collections.Immutable;
using System.Text.Json;

namespace Meridian.Subscriptions.Model;

/// <summary>
/// Reads a backport SubscriptionTopic: in R4 a Basic resource carrying the cross-version
/// extensions <c>extension-SubscriptionTopic.url</c> and <c>…resourceTrigger</c> (the IG's
/// examples use the 4.3 and the 5.0 prefixes; both are accepted). Null when the Basic is not a topic.
/// </summary>
public static class TopicParser
{
    private const string UrlSuffix = "/extension-SubscriptionTopic.url";
    private const string TriggerSuffix = "/extension-SubscriptionTopic.resourceTrigger";

    public static TopicDefinition? Parse(string tenant, string id, ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray());
        var root = doc.RootElement;
        if (!root.TryGetProperty("extension", out var exts) || exts.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        string? url = null;
        var triggers = ImmutableArray.CreateBuilder<TopicTrigger>();
        foreach (var ext in exts.EnumerateArray())
        {
            var u = SubscriptionParser.Str(ext, "url") ?? "";
            if (u.EndsWith(UrlSuffix, StringComparison.Ordinal))
            {
                url = SubscriptionParser.Str(ext, "valueUri") ?? SubscriptionParser.Str(ext, "valueUrl");
            }
            else if (u.EndsWith(TriggerSuffix, StringComparison.Ordinal) && ParseTrigger(ext) is { } t)
            {
                triggers.Add(t);
            }
        }
        return url is null ? null : new TopicDefinition(tenant, id, url, triggers.ToImmutable());
    }

    private static TopicTrigger? ParseTrigger(JsonElement ext)
    {
        if (!ext.TryGetProperty("extension", out var parts) || parts.ValueKind != JsonValueKind.Array)
        {
            return null;
        }
        string? resource = null;
        var interactions = ImmutableArray.CreateBuilder<string>();
        foreach (var part in parts.EnumerateArray())
        {
            var name = SubscriptionParser.Str(part, "url") ?? "";
            name = name[(name.LastIndexOf('.') + 1)..];
            if (name == "resource")
            {
                resource = SubscriptionParser.Str(part, "valueUri") ?? SubscriptionParser.Str(part, "valueUrl");
            }
            else if (name == "supportedInteraction" && SubscriptionParser.Str(part, "valueCode") is { } code)
            {
                interactions.Add(code);
            }
        }
        if (resource is null)
        {
            return null;
        }
        // "http://hl7.org/fhir/StructureDefinition/Encounter" or plain "Encounter".
        return new TopicTrigger(resource[(resource.LastIndexOf('/') + 1)..], interactions.ToImmutable());
    }
}
