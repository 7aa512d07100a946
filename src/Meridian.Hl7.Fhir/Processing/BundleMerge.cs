using System.Text.Json.Nodes;

namespace Meridian.Hl7.Fhir.Processing;

/// <summary>
/// Several messages' transaction Bundles as one (ADR "HL7 v2 mapped writes in shared
/// transactions"). Conditional URLs the <see cref="ConditionalIdCache"/> knows become plain
/// instance PUTs. Entries that write the same resource (the same Practitioner in two lab results,
/// or a cached conditional URL equal to another entry's id) fold into one — the later message's
/// content wins, which is where processing them one after another would end — and references to
/// the dropped entry's fullUrl are renamed to the survivor's. The dispatcher never puts two
/// messages with the same ordering key in one batch, so a patient's own resources never fold.
/// The input Bundles are consumed (their entries move into the result).
/// </summary>
internal static class BundleMerge
{
    /// <summary>The merged Bundle; per merged entry, the conditional URL it still carries (to learn
    /// from a 201); and every conditional URL the cache answered (to forget on failure).</summary>
    public sealed record Merged(JsonObject Bundle, List<string?> Conditional, List<string> FromCache);

    public static Merged Merge(IReadOnlyList<JsonObject> bundles, string tenant, ConditionalIdCache cache)
    {
        var entries = new List<JsonObject>();
        var conditional = new List<string?>();
        var fromCache = new List<string>();
        var byUrl = new Dictionary<string, int>(StringComparer.Ordinal);
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        string? timestamp = null;
        foreach (var bundle in bundles)
        {
            timestamp ??= bundle["timestamp"]?.GetValue<string>();
            if (bundle["entry"] is not JsonArray array)
            {
                continue;
            }
            var list = array.OfType<JsonObject>().ToList();
            array.Clear(); // detach: the entries move into the merged Bundle
            foreach (var entry in list)
            {
                var request = entry["request"] as JsonObject;
                var url = request?["url"]?.GetValue<string>() ?? "";
                string? stillConditional = null;
                var q = url.IndexOf('?', StringComparison.Ordinal);
                if (q > 0 && request is not null)
                {
                    if (cache.Find(tenant, url) is { } typeAndId)
                    {
                        fromCache.Add(url);
                        request["url"] = url = typeAndId;
                        if (entry["resource"] is JsonObject resource)
                        {
                            resource["id"] = typeAndId[(typeAndId.IndexOf('/', StringComparison.Ordinal) + 1)..];
                        }
                    }
                    else
                    {
                        stillConditional = url;
                    }
                }
                if (byUrl.TryGetValue(url, out var at))
                {
                    // Later content wins; the survivor keeps its place and fullUrl.
                    var survivor = entries[at];
                    if (entry["fullUrl"]?.GetValue<string>() is { } dropped && survivor["fullUrl"]?.GetValue<string>() is { } kept && dropped != kept)
                    {
                        renamed[dropped] = kept;
                    }
                    var resource = entry["resource"];
                    entry.Remove("resource");
                    survivor["resource"] = resource;
                    continue;
                }
                byUrl[url] = entries.Count;
                entries.Add(entry);
                conditional.Add(stillConditional);
            }
        }
        if (renamed.Count > 0)
        {
            foreach (var entry in entries)
            {
                Conversion.BundleAssembly.Rewrite(entry["resource"], renamed);
            }
        }
        var merged = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction" };
        if (timestamp is not null)
        {
            merged["timestamp"] = timestamp;
        }
        merged["entry"] = new JsonArray([.. entries]);
        return new Merged(merged, conditional, fromCache);
    }
}
