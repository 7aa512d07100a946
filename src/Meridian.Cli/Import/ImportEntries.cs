using System.Text.Json.Nodes;

namespace Meridian.Cli.Import;

/// <summary>
/// Builds the Bundle entries an import sends. By default identities are deterministic (after
/// iomt-fhir/FHIR-Converter): a resource with an id, or a <c>POST</c> whose fullUrl is
/// <c>urn:uuid:X</c>, becomes <c>PUT Type/id</c> (or <c>PUT Type/X</c>). Re-sending the same input
/// then rewrites the same resources — an unchanged body is a no-op in the store — so a crash
/// between a commit and its checkpoint can never duplicate anything, and resources shared by
/// several files (Synthea's Organizations and Practitioners) are stored once. With server ids
/// every resource is POSTed as given and only the checkpoint prevents duplicates.
/// </summary>
public static class ImportEntries
{
    private const string UuidPrefix = "urn:uuid:";

    /// <summary>A transaction entry storing a bare resource (NDJSON line, collection entry).</summary>
    public static JsonObject ForResource(JsonObject resource, string type, string? fullUrl, bool serverIds)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var entry = new JsonObject();
        if (fullUrl is not null)
        {
            entry["fullUrl"] = fullUrl;
        }
        var id = serverIds ? null : DeterministicId(resource, fullUrl);
        if (id is not null)
        {
            resource["id"] = id;
        }
        entry["resource"] = resource;
        entry["request"] = new JsonObject
        {
            ["method"] = id is null ? "POST" : "PUT",
            ["url"] = id is null ? type : $"{type}/{id}",
        };
        return entry;
    }

    /// <summary>Turns a plain <c>POST Type</c> entry with a urn:uuid fullUrl into <c>PUT Type/uuid</c>
    /// (conditional creates keep their own idempotency and are left alone).</summary>
    public static void MakeDeterministic(JsonObject entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry["request"] is not JsonObject request || Text(request, "method") != "POST" || request.ContainsKey("ifNoneExist")
            || entry["resource"] is not JsonObject resource || Text(resource, "resourceType") is not { } type
            || Text(request, "url") is not { } url || url != type
            || Text(entry, "fullUrl") is not { } fullUrl || !fullUrl.StartsWith(UuidPrefix, StringComparison.Ordinal))
        {
            return;
        }
        var id = fullUrl[UuidPrefix.Length..];
        if (!IsValidId(id))
        {
            return;
        }
        resource["id"] = id;
        request["method"] = "PUT";
        request["url"] = $"{type}/{id}";
    }

    public static JsonObject Bundle(string type, List<JsonObject> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var array = new JsonArray();
        foreach (var e in entries)
        {
            array.Add(e);
        }
        return new JsonObject { ["resourceType"] = "Bundle", ["type"] = type, ["entry"] = array };
    }

    /// <summary>FHIR id syntax: 1–64 of <c>[A-Za-z0-9\-.]</c>.</summary>
    public static bool IsValidId(string id)
    {
        if (id.Length is 0 or > 64)
        {
            return false;
        }
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '.'))
            {
                return false;
            }
        }
        return true;
    }

    public static string? Text(JsonObject o, string name) =>
        o.TryGetPropertyValue(name, out var v) && v is JsonValue s && s.TryGetValue<string>(out var t) ? t : null;

    /// <summary>The id a resource gets without server ids: its own, else the uuid of a urn:uuid fullUrl.</summary>
    public static string? DeterministicId(JsonObject resource, string? fullUrl)
    {
        if (Text(resource, "id") is { } id && IsValidId(id))
        {
            return id;
        }
        if (fullUrl is not null && fullUrl.StartsWith(UuidPrefix, StringComparison.Ordinal) && IsValidId(fullUrl[UuidPrefix.Length..]))
        {
            return fullUrl[UuidPrefix.Length..];
        }
        return null;
    }

    /// <summary>Replaces every <c>reference</c> found in <paramref name="map"/> (urn:uuid → Type/id), at any depth.</summary>
    public static void RewriteReferences(JsonNode? node, IReadOnlyDictionary<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        switch (node)
        {
            case JsonObject o:
                if (Text(o, "reference") is { } reference && map.TryGetValue(reference, out var target))
                {
                    o["reference"] = target;
                }
                foreach (var (_, child) in o)
                {
                    if (child is JsonObject or JsonArray)
                    {
                        RewriteReferences(child, map);
                    }
                }
                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    RewriteReferences(child, map);
                }
                break;
        }
    }
}
