using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meridian.Cli.Import;

/// <summary>
/// A JSON file: a transaction Bundle is one atomic unit (never split: its urn:uuid references
/// and all-or-nothing meaning span the whole Bundle); a batch Bundle goes in batch chunks; the
/// resources of a collection or searchset Bundle in transaction chunks; any other resource
/// (a document or message Bundle included) is stored as itself.
/// </summary>
public static class BundleFileReader
{
    public static async IAsyncEnumerable<ImportUnit> ReadAsync(ImportFile file, long startEntry, int chunkSize, bool serverIds,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var (root, problem) = await LoadAsync(file, cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            yield return new ImportUnit(file, true, ImportEntries.Bundle("transaction", []), [],
                [new ImportFailure(file.Path, null, null, null, null, 0, problem!)], 0, true, file.Length);
            yield break;
        }
        var resourceType = ImportEntries.Text(root, "resourceType");
        var bundleType = resourceType == "Bundle" ? ImportEntries.Text(root, "type") : null;
        if (bundleType == "transaction")
        {
            yield return Transaction(file, root, serverIds);
            yield break;
        }
        if (bundleType is not ("batch" or "collection" or "searchset"))
        {
            var entry = ImportEntries.ForResource(root, resourceType!, null, serverIds);
            yield return new ImportUnit(file, false, ImportEntries.Bundle("transaction", [entry]),
                [new EntryOrigin(null, 0, resourceType, ImportEntries.Text(root, "id"))], [], 1, true, file.Length);
            yield break;
        }
        var array = root["entry"] as JsonArray ?? [];
        var entries = new List<JsonObject>(chunkSize);
        var origins = ImmutableArray.CreateBuilder<EntryOrigin>();
        var failures = ImmutableArray.CreateBuilder<ImportFailure>();
        var sendAs = bundleType == "batch" ? "batch" : "transaction";
        // A collection is split into chunks, so its urn:uuid references are resolved here, for the
        // whole file, to the deterministic Type/id each entry will get (the server can only map
        // fullUrls within one chunk).
        var references = bundleType != "batch" && !serverIds ? UuidTargets(array) : null;
        for (var i = (int)startEntry; i < array.Count; i++)
        {
            var (entry, origin, failure) = bundleType == "batch" ? BatchEntry(file, array[i], i, serverIds) : CollectionEntry(file, array[i], i, serverIds, references);
            if (failure is not null)
            {
                failures.Add(failure);
            }
            else
            {
                entries.Add(entry!);
                origins.Add(origin!);
            }
            if ((i + 1 - startEntry) % chunkSize == 0 && i + 1 < array.Count)
            {
                yield return new ImportUnit(file, false, ImportEntries.Bundle(sendAs, entries), origins.ToImmutable(), failures.ToImmutable(), i + 1, false, file.Length * (i + 1) / array.Count);
                entries = new List<JsonObject>(chunkSize);
                origins.Clear();
                failures.Clear();
            }
        }
        yield return new ImportUnit(file, false, ImportEntries.Bundle(sendAs, entries), origins.ToImmutable(), failures.ToImmutable(), array.Count, true, file.Length);
    }

    private static ImportUnit Transaction(ImportFile file, JsonObject bundle, bool serverIds)
    {
        var origins = ImmutableArray.CreateBuilder<EntryOrigin>();
        if (bundle["entry"] is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                var entry = array[i] as JsonObject;
                if (entry is not null && !serverIds)
                {
                    ImportEntries.MakeDeterministic(entry);
                }
                var resource = entry?["resource"] as JsonObject;
                origins.Add(new EntryOrigin(null, i, resource is null ? null : ImportEntries.Text(resource, "resourceType"),
                    resource is null ? null : ImportEntries.Text(resource, "id")));
            }
        }
        return new ImportUnit(file, true, bundle, origins.ToImmutable(), [], 0, true, file.Length);
    }

    private static Dictionary<string, string> UuidTargets(JsonArray entries)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in entries)
        {
            if (node is JsonObject e && ImportEntries.Text(e, "fullUrl") is { } fullUrl && fullUrl.StartsWith("urn:uuid:", StringComparison.Ordinal)
                && e["resource"] is JsonObject r && ImportEntries.Text(r, "resourceType") is { } type && ImportEntries.DeterministicId(r, fullUrl) is { } id)
            {
                map[fullUrl] = $"{type}/{id}";
            }
        }
        return map;
    }

    private static (JsonObject?, EntryOrigin?, ImportFailure?) CollectionEntry(ImportFile file, JsonNode? node, int index, bool serverIds, Dictionary<string, string>? references)
    {
        if (node is not JsonObject e || e["resource"] is not JsonObject resource || ImportEntries.Text(resource, "resourceType") is not { } type)
        {
            return (null, null, new ImportFailure(file.Path, null, index, null, null, 0, "The entry has no resource with a resourceType."));
        }
        e.Remove("resource"); // a node has one parent: detach before re-homing it in the chunk's Bundle
        if (references is { Count: > 0 })
        {
            ImportEntries.RewriteReferences(resource, references);
        }
        var entry = ImportEntries.ForResource(resource, type, ImportEntries.Text(e, "fullUrl"), serverIds);
        return (entry, new EntryOrigin(null, index, type, ImportEntries.Text(resource, "id")), null);
    }

    private static (JsonObject?, EntryOrigin?, ImportFailure?) BatchEntry(ImportFile file, JsonNode? node, int index, bool serverIds)
    {
        if (node is not JsonObject e || e["request"] is not JsonObject)
        {
            return (null, null, new ImportFailure(file.Path, null, index, null, null, 0, "The batch entry has no request."));
        }
        node.Parent!.AsArray()[index] = null; // detach
        if (!serverIds)
        {
            ImportEntries.MakeDeterministic(e);
        }
        var resource = e["resource"] as JsonObject;
        return (e, new EntryOrigin(null, index, resource is null ? null : ImportEntries.Text(resource, "resourceType"),
            resource is null ? null : ImportEntries.Text(resource, "id")), null);
    }

    private static async Task<(JsonObject?, string?)> LoadAsync(ImportFile file, CancellationToken ct)
    {
        using var stream = ImportSources.Open(file, out var raw);
        await using var rawOwner = raw.ConfigureAwait(false);
        try
        {
            var node = await JsonNode.ParseAsync(stream, cancellationToken: ct).ConfigureAwait(false);
            if (node is not JsonObject o || ImportEntries.Text(o, "resourceType") is null)
            {
                return (null, "Not a FHIR resource (a JSON object with a resourceType).");
            }
            return (o, null);
        }
        catch (JsonException ex)
        {
            return (null, "Malformed JSON: " + ex.Message);
        }
        catch (InvalidDataException ex)
        {
            return (null, "Corrupt gzip data: " + ex.Message);
        }
    }
}
