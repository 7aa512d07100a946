namespace Meridian.Hl7;

/// <summary>Per-sender parsing expectations.</summary>
public sealed record Hl7ParseOptions
{
    public static Hl7ParseOptions Default { get; } = new();

    /// <summary>When set, a message whose MSH-12 differs gets a <c>VERSION_MISMATCH</c> warning (e.g. a sender configured for 2.5.1).</summary>
    public string? ExpectedVersion { get; init; }

    /// <summary>Paths a sender's profile requires beyond the base standard (e.g. "MSH-6", "PID-3"); an empty one gets a <c>MISSING_FIELD</c> warning.</summary>
    public System.Collections.Immutable.ImmutableArray<string> RequiredFields { get; init; } = [];

    /// <summary>Check NM, SI, DT and DTM/TS values (and OBX-5 against OBX-2) and warn about malformed ones.</summary>
    public bool CheckDataTypes { get; init; } = true;

    /// <summary>More segments than this is an error (bounds memory for hostile input).</summary>
    public int MaxSegments { get; init; } = 100_000;
}
