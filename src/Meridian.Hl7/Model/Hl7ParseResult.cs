using System.Collections.Immutable;

namespace Meridian.Hl7;

/// <summary>
/// The outcome of parsing one message: the message (null only on a structural error) and every
/// issue found. Parsing never throws on bad input; this value says what happened.
/// </summary>
public sealed record Hl7ParseResult(Hl7Message? Message, ImmutableArray<Hl7Issue> Issues)
{
    /// <summary>True when a message came out (possibly with warnings).</summary>
    public bool Success => Message is not null;

    public IEnumerable<Hl7Issue> Warnings => Issues.Where(i => i.Severity == Hl7Severity.Warning);

    public IEnumerable<Hl7Issue> Errors => Issues.Where(i => i.Severity == Hl7Severity.Error);

    /// <summary>The first error's text, for logs and AR acknowledgements; null on success.</summary>
    public string? ErrorReason => Issues.FirstOrDefault(i => i.Severity == Hl7Severity.Error)?.ToString();

    internal static Hl7ParseResult Failed(Hl7Issue error, IEnumerable<Hl7Issue>? earlier = null) =>
        new(null, [.. earlier ?? [], error]);
}
