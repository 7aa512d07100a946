using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meridian.Cli.Import;

/// <summary>Reads what the FHIR base answered: per-entry results of a batch, the OperationOutcome of a refusal.</summary>
public static class ReplyReader
{
    /// <summary>Per entry of a batch-response: null when stored, else the failure.</summary>
    public static UnitResult Batch(ImportUnit unit, TargetReply reply)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var root = Parse(reply.Body);
        var entries = root?["entry"] as JsonArray;
        if (reply.Status != 200 || entries is null || entries.Count != unit.Entries.Length)
        {
            return Whole(unit, reply);
        }
        var ok = 0;
        var failures = ImmutableArray.CreateBuilder<ImportFailure>();
        for (var i = 0; i < entries.Count; i++)
        {
            var response = entries[i]?["response"] as JsonObject;
            var statusText = response is null ? null : ImportEntries.Text(response, "status");
            var status = StatusOf(statusText);
            if (status is >= 200 and < 300)
            {
                ok++;
                continue;
            }
            var outcome = response?["outcome"]?.DeepClone();
            failures.Add(Failure(unit.File, unit.Entries[i], status, Diagnostics(outcome) ?? statusText ?? "No response for the entry.", outcome));
        }
        return new UnitResult(ok, failures.ToImmutable());
    }

    /// <summary>A refused transaction: one failure for the entry the outcome names (or the first), the rest rolled back with it.</summary>
    public static UnitResult Whole(ImportUnit unit, TargetReply reply)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var outcome = Parse(reply.Body);
        var diagnostics = Diagnostics(outcome) ?? $"The server answered {reply.Status}.";
        var culprit = CulpritIndex(diagnostics);
        var failures = ImmutableArray.CreateBuilder<ImportFailure>(unit.Entries.Length);
        for (var i = 0; i < unit.Entries.Length; i++)
        {
            var own = culprit is null ? i == 0 : culprit == i;
            failures.Add(Failure(unit.File, unit.Entries[i], reply.Status,
                own ? diagnostics : $"Not stored: the transaction was rolled back ({diagnostics})", own ? outcome : null));
        }
        return new UnitResult(0, failures.ToImmutable());
    }

    private static ImportFailure Failure(ImportFile file, EntryOrigin origin, int status, string diagnostics, JsonNode? outcome) =>
        new(file.Path, origin.Line, origin.Entry, origin.ResourceType, origin.Id, status, diagnostics) { Outcome = outcome };

    private static JsonNode? Parse(ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(body.Span);
        }
        catch (JsonException)
        {
            return null; // not FHIR JSON (e.g. a proxy's HTML error page): the status says enough
        }
    }

    private static string? Diagnostics(JsonNode? outcome)
    {
        if (outcome?["issue"] is not JsonArray issues)
        {
            return null;
        }
        var parts = new List<string>();
        foreach (var issue in issues)
        {
            if (issue is JsonObject o)
            {
                var text = ImportEntries.Text(o, "diagnostics") ?? (o["details"] as JsonObject is { } d ? ImportEntries.Text(d, "text") : null) ?? ImportEntries.Text(o, "code");
                if (text is not null)
                {
                    parts.Add(o["expression"] is JsonArray { Count: > 0 } e && e[0] is JsonValue v && v.TryGetValue<string>(out var at) ? $"{at}: {text}" : text);
                }
            }
        }
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    private static int StatusOf(string? statusLine)
    {
        if (statusLine is null)
        {
            return 0;
        }
        var space = statusLine.IndexOf(' ', StringComparison.Ordinal);
        return int.TryParse(space < 0 ? statusLine : statusLine[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 0;
    }

    /// <summary>Meridian prefixes a failed transaction's messages with <c>Bundle.entry[i]</c>.</summary>
    internal static int? CulpritIndex(string diagnostics)
    {
        const string marker = "Bundle.entry[";
        var at = diagnostics.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var start = at + marker.Length;
        var end = diagnostics.IndexOf(']', start);
        return end > start && int.TryParse(diagnostics.AsSpan(start, end - start), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;
    }
}
