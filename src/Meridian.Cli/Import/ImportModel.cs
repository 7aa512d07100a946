using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Meridian.Cli.Import;

/// <summary>How a file's content is laid out: one JSON document (a Bundle or a single resource) or NDJSON.</summary>
public enum SourceKind
{
    Json,
    Ndjson,
}

/// <summary>One input file, with the size and time that tell a checkpoint whether it changed since.</summary>
public sealed record ImportFile(string Path, SourceKind Kind, long Length, DateTime ModifiedUtc);

/// <summary>Where one entry of a unit came from: a 1-based NDJSON line or a 0-based Bundle entry index.</summary>
public sealed record EntryOrigin(int? Line, int? Entry, string? ResourceType, string? Id);

/// <summary>
/// One commit's worth of work: a Bundle to POST to the FHIR base. <see cref="Atomic"/> units are
/// whole transaction Bundle files (all or nothing, never split); the others are chunks of NDJSON
/// lines or collection/batch entries, which fall back to a batch when their transaction fails so
/// each bad resource is reported on its own. <see cref="EndPosition"/> is what the checkpoint
/// records once the unit is committed (lines or entries consumed, bad ones included).
/// </summary>
public sealed record ImportUnit(
    ImportFile File,
    bool Atomic,
    JsonObject Bundle,
    ImmutableArray<EntryOrigin> Entries,
    ImmutableArray<ImportFailure> ReadFailures,
    long EndPosition,
    bool EndOfFile,
    long BytesRead);

/// <summary>One resource that was not stored, as written to the error report.</summary>
public sealed record ImportFailure(string File, int? Line, int? Entry, string? ResourceType, string? Id, int Status, string Diagnostics)
{
    /// <summary>The OperationOutcome the server returned, when there was one.</summary>
    public JsonNode? Outcome { get; init; }

    public string Location => Line is { } l ? $"line {l}" : Entry is { } e ? $"entry {e}" : "file";
}

/// <summary>How one unit went: stored resources, failures, and whether it was committed as one transaction.</summary>
public sealed record UnitResult(int Succeeded, ImmutableArray<ImportFailure> Failures);

/// <summary>The outcome of a run (counts cover this run; <see cref="EarlierFailures"/> those recorded by earlier runs).</summary>
public sealed record ImportSummary(int Files, int FilesSkipped, long Succeeded, long Failed, long EarlierFailures, TimeSpan Elapsed)
{
    public bool AnyFailed => Failed + EarlierFailures > 0;
}
