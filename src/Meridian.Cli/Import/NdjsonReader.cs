using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meridian.Cli.Import;

/// <summary>
/// NDJSON (one resource per line) into transaction chunks of <c>chunkSize</c> lines. A line that
/// is not a JSON object with a resourceType is a failure of that line, not of the file. Resuming
/// at <c>startLine</c> re-reads and skips the committed lines (gzip cannot seek).
/// </summary>
public static class NdjsonReader
{
    public static async IAsyncEnumerable<ImportUnit> ReadAsync(ImportFile file, long startLine, int chunkSize, bool serverIds,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var stream = ImportSources.Open(file, out var raw);
        await using var rawOwner = raw.ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        long line = 0;
        var linesInChunk = 0;
        var entries = new List<JsonObject>(chunkSize);
        var origins = ImmutableArray.CreateBuilder<EntryOrigin>(chunkSize);
        var failures = ImmutableArray.CreateBuilder<ImportFailure>();
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            line++;
            if (line <= startLine)
            {
                continue;
            }
            linesInChunk++;
            if (!string.IsNullOrWhiteSpace(text))
            {
                var (resource, type, problem) = ParseLine(text);
                if (problem is not null)
                {
                    failures.Add(new ImportFailure(file.Path, (int)line, null, type, null, 0, problem));
                }
                else
                {
                    entries.Add(ImportEntries.ForResource(resource!, type!, null, serverIds));
                    origins.Add(new EntryOrigin((int)line, null, type, ImportEntries.Text(resource!, "id")));
                }
            }
            if (linesInChunk >= chunkSize)
            {
                yield return Unit(file, entries, origins, failures, line, false, raw.Position);
                entries = new List<JsonObject>(chunkSize);
                linesInChunk = 0;
            }
        }
        yield return Unit(file, entries, origins, failures, line, true, raw.Length);
    }

    private static ImportUnit Unit(ImportFile file, List<JsonObject> entries, ImmutableArray<EntryOrigin>.Builder origins,
        ImmutableArray<ImportFailure>.Builder failures, long line, bool end, long bytes)
    {
        var unit = new ImportUnit(file, false, ImportEntries.Bundle("transaction", entries), origins.ToImmutable(), failures.ToImmutable(), line, end, bytes);
        origins.Clear();
        failures.Clear();
        return unit;
    }

    /// <summary>The line as a resource, or why it is not one (a malformed line is rare: the exception path is fine).</summary>
    internal static (JsonObject? Resource, string? Type, string? Problem) ParseLine(string text)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            return (null, null, "Malformed JSON: " + ex.Message);
        }
        if (node is not JsonObject o)
        {
            return (null, null, "Not a JSON object.");
        }
        var type = ImportEntries.Text(o, "resourceType");
        return type is null ? (null, null, "No resourceType: not a FHIR resource.") : (o, type, null);
    }
}
