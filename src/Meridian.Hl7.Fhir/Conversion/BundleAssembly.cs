using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Meridian.Hl7.Fhir.Mapping;

namespace Meridian.Hl7.Fhir.Conversion;

/// <summary>
/// Turns a run's resources into the transaction Bundle: settles how each is written (its key),
/// folds resources with the same key into one entry (the same Practitioner in PV1-7 and PV1-17),
/// rewrites references to the surviving entries, and adds the message's Provenance (one, targeting them all).
/// </summary>
internal static class BundleAssembly
{
    public const string MessageIdSystem = "urn:meridian:hl7v2:message-control-id";
    public const string SenderSystem = "urn:meridian:hl7v2:sender";

    public static JsonObject Build(ConversionRun run)
    {
        foreach (var entry in run.Entries)
        {
            JsonPaths.Prune(entry.Resource);
            FixQuantities(entry.Resource);
            entry.Resource["resourceType"] = entry.Type;
        }
        foreach (var entry in run.Entries)
        {
            Settle(run, entry);
        }
        // Fold duplicates: the first entry with a key survives; later ones add what it lacks.
        var byUrl = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var renamed = new Dictionary<string, string>(StringComparer.Ordinal);
        var kept = new List<Entry>();
        foreach (var entry in run.Entries)
        {
            if (byUrl.TryGetValue(entry.Url!, out var first))
            {
                renamed["urn:uuid:" + entry.Uuid] = "urn:uuid:" + first.Uuid;
                foreach (var (name, value) in entry.Resource.ToList())
                {
                    if (first.Resource[name] is null && value is not null)
                    {
                        entry.Resource.Remove(name);
                        first.Resource[name] = value;
                    }
                }
                continue;
            }
            byUrl[entry.Url!] = entry;
            kept.Add(entry);
        }
        var entries = new JsonArray();
        foreach (var entry in kept)
        {
            Rewrite(entry.Resource, renamed);
            entries.Add(EntryJson("urn:uuid:" + entry.Uuid, entry.Resource, entry.Method!, entry.Url!));
        }
        // One Provenance per message, targeting every resource it landed (Provenance.target is
        // 1..*): the facts (source message, sender, time) are the message's, and one entry instead
        // of one per resource nearly halves what a message writes (ADR "HL7 v2 mapped writes in
        // shared transactions"). Its id is hashed from sender + MSH-10, so a re-send overwrites it.
        var provenanceId = HashId("Provenance", run.Sender, run.ControlId);
        entries.Add(EntryJson("urn:uuid:" + DeterministicUuid("Provenance", provenanceId), Provenance(run, kept, Recorded(run)), "PUT", "Provenance/" + provenanceId));
        var bundle = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "transaction" };
        if (run.Message.Header.DateTimeOfMessage is { } sent)
        {
            bundle["timestamp"] = Primitives.FormatInstant(sent, run.Options.Zone);
        }
        bundle["entry"] = entries;
        return bundle;
    }

    private static JsonObject EntryJson(string fullUrl, JsonObject resource, string method, string url) => new()
    {
        ["fullUrl"] = fullUrl,
        ["resource"] = resource,
        ["request"] = new JsonObject { ["method"] = method, ["url"] = url },
    };

    /// <summary>
    /// How the entry is written: the first key of its map that yields one — a conditional update
    /// on an identifier, or a PUT to an id hashed from v2 values — else a PUT to an id hashed from
    /// the message (sender, MSH-10) and the entry's place in it, so a re-sent message lands on the
    /// same resources.
    /// </summary>
    private static void Settle(ConversionRun run, Entry entry)
    {
        if (entry.Url is not null || entry.Computing)
        {
            return;
        }
        entry.Computing = true;
        foreach (var key in entry.Map.Keys)
        {
            if (key.Kind == "identifier" && IdentifierKey(entry, key) is { } query)
            {
                entry.Method = "PUT";
                entry.Url = $"{entry.Type}?identifier={query}";
                return;
            }
            if (key.Kind == "hash" && HashKey(run, entry, key) is { } parts)
            {
                entry.Method = "PUT";
                entry.Url = $"{entry.Type}/{HashId([entry.Type, entry.Map.Name, .. parts])}";
                entry.Resource["id"] = entry.Url[(entry.Type.Length + 1)..];
                return;
            }
        }
        var id = HashId(entry.Type, entry.Map.Name, run.Sender, run.ControlId, entry.SegmentIndex.ToString(CultureInfo.InvariantCulture), entry.Ordinal.ToString(CultureInfo.InvariantCulture));
        entry.Method = "PUT";
        entry.Url = $"{entry.Type}/{id}";
        entry.Resource["id"] = id;
    }

    private static string? IdentifierKey(Entry entry, KeySpec key)
    {
        var identifiers = entry.Resource["identifier"] switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject single => [single],
            _ => [],
        };
        foreach (var identifier in identifiers)
        {
            var system = identifier["system"]?.GetValue<string>();
            var value = identifier["value"]?.GetValue<string>();
            if (string.IsNullOrEmpty(system) || string.IsNullOrEmpty(value))
            {
                continue;
            }
            if (key.Parts.Length > 0)
            {
                var code = identifier["type"]?["coding"]?[0]?["code"]?.GetValue<string>();
                if (code is null || !key.Parts.Contains(code))
                {
                    continue;
                }
            }
            return Uri.EscapeDataString(system) + "|" + Uri.EscapeDataString(value);
        }
        return null;
    }

    private static List<string>? HashKey(ConversionRun run, Entry entry, KeySpec key)
    {
        var parts = new List<string>();
        foreach (var part in key.Parts)
        {
            string text;
            if (part.StartsWith('@'))
            {
                var other = run.FindAlias(part[1..], entry.SegmentIndex);
                if (other is null)
                {
                    return null;
                }
                Settle(run, other);
                text = other.Url ?? "";
            }
            else if (part.Length >= 2 && part[0] == '"')
            {
                text = part.Trim('"');
            }
            else if (entry.Value is { } value)
            {
                text = part == "*" ? value.Raw : value.Select(part).Text;
            }
            else if (ConversionRun.PathOf(part) is { } path && run.FindSegment(path.Segment, entry.SegmentIndex) is { } segment)
            {
                var values = path.Select(segment);
                text = values.Length == 1 ? values[0].Text : string.Join("~", values.Select(v => v.Text));
            }
            else
            {
                text = "";
            }
            if (text.Length == 0)
            {
                return null; // a key part missing: try the next key
            }
            parts.Add(text);
        }
        return parts;
    }

    private static string Recorded(ConversionRun run) =>
        run.Message.Header.DateTimeOfMessage is { } sent
            ? Primitives.FormatInstant(sent, run.Options.Zone)
            : (run.Options.Now ?? DateTimeOffset.UtcNow).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The Provenance of the resources a message landed: the message (sender, MSH-10, type) is their source entity, the sender their author.</summary>
    private static JsonObject Provenance(ConversionRun run, List<Entry> landed, string recorded) => new()
    {
        ["resourceType"] = "Provenance",
        ["target"] = new JsonArray([.. landed.Select(e => (JsonNode)new JsonObject { ["reference"] = "urn:uuid:" + e.Uuid })]),
        ["recorded"] = recorded,
        ["activity"] = new JsonObject
        {
            ["coding"] = new JsonArray(new JsonObject
            {
                ["system"] = "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                ["code"] = "UPDATE",
                ["display"] = "revise",
            }),
        },
        ["agent"] = new JsonArray(new JsonObject
        {
            ["type"] = new JsonObject
            {
                ["coding"] = new JsonArray(new JsonObject
                {
                    ["system"] = "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                    ["code"] = "author",
                }),
            },
            ["who"] = new JsonObject
            {
                ["identifier"] = new JsonObject { ["system"] = SenderSystem, ["value"] = run.Sender },
                ["display"] = run.Sender,
            },
        }),
        ["entity"] = new JsonArray(new JsonObject
        {
            ["role"] = "source",
            ["what"] = new JsonObject
            {
                ["identifier"] = new JsonObject
                {
                    ["system"] = MessageIdSystem,
                    ["value"] = run.ControlId,
                    ["assigner"] = new JsonObject { ["display"] = run.Sender },
                },
                ["display"] = $"HL7 v2 {run.MessageType} message {run.ControlId} from {run.Sender}",
            },
        }),
    };

    /// <summary>
    /// qty-3: a Quantity's unit code needs a system. v2 senders often give a unit code without
    /// its coding system: UCUM when the code is valid UCUM, otherwise the code is dropped (the
    /// human-readable unit stays).
    /// </summary>
    private static void FixQuantities(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["code"] is JsonValue code && obj["system"] is null && (obj.ContainsKey("value") || obj.ContainsKey("unit")) && !obj.ContainsKey("display"))
                {
                    var text = code.GetValue<string>();
                    if (Meridian.Fhir.Terminology.UcumService.Default.Validate(text) is null)
                    {
                        obj["system"] = "http://unitsofmeasure.org";
                    }
                    else
                    {
                        obj.Remove("code");
                        obj["unit"] ??= text;
                    }
                }
                // Only the children change (no copy of the properties needed to enumerate them).
                foreach (var (_, child) in obj)
                {
                    FixQuantities(child);
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    FixQuantities(child);
                }
                break;
        }
    }

    /// <summary>Points every <c>reference</c> found in <paramref name="renamed"/> at its new value
    /// (also used when several messages' Bundles are merged into one transaction).</summary>
    internal static void Rewrite(JsonNode? node, Dictionary<string, string> renamed)
    {
        if (renamed.Count == 0)
        {
            return;
        }
        switch (node)
        {
            case JsonObject obj:
                // The object's own "reference" is replaced after the walk (replacing it during the
                // enumeration would invalidate it), so nothing is copied to enumerate.
                string? retarget = null;
                foreach (var (name, child) in obj)
                {
                    if (name == "reference" && child is JsonValue v && v.TryGetValue<string>(out var reference) && renamed.TryGetValue(reference, out var target))
                    {
                        retarget = target;
                    }
                    else
                    {
                        Rewrite(child, renamed);
                    }
                }
                if (retarget is not null)
                {
                    obj["reference"] = retarget;
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Rewrite(child, renamed);
                }
                break;
        }
    }

    /// <summary>A FHIR id (≤ 64 chars, [A-Za-z0-9-.]) from a SHA-256 of the parts.</summary>
    public static string HashId(params string[] parts) => "h" + Hash(parts)[..40];

    /// <summary>A UUID from a SHA-256 of the parts, so the same message always yields the same Bundle.</summary>
    public static string DeterministicUuid(params string[] parts)
    {
        var hex = Hash(parts);
        return $"{hex[..8]}-{hex[8..12]}-5{hex[13..16]}-8{hex[17..20]}-{hex[20..32]}";
    }

    private static string Hash(string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts))));
}
