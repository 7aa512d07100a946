using System.Collections.Immutable;
using System.Text;

namespace Meridian.Hl7;

/// <summary>
/// One element of a batch payload in order: an envelope segment (FHS, BHS, BTS, FTS, or a
/// stray segment outside any message), a parsed message (with its own issues), or the raw text
/// of a message that could not be parsed — kept so nothing in the payload is dropped.
/// </summary>
public sealed record Hl7BatchPart(Hl7Segment? Segment, Hl7ParseResult? Result, string RawText)
{
    public Hl7Message? Message => Result?.Message;
}

/// <summary>
/// A batch: FHS/BHS envelopes (HL7 v2 chapter 2 batch protocol) or simply messages back to
/// back. Written back losslessly by <see cref="Hl7Writer"/>.
/// </summary>
public sealed record Hl7Batch(ImmutableArray<Hl7BatchPart> Parts, ImmutableArray<Hl7Issue> Issues, Encoding Encoding, string Leading)
{
    /// <summary>Every message's parse result, in order (failed ones included).</summary>
    public IEnumerable<Hl7ParseResult> Results => Parts.Where(p => p.Result is not null).Select(p => p.Result!);

    /// <summary>The messages that parsed.</summary>
    public IEnumerable<Hl7Message> Messages => Parts.Where(p => p.Message is not null).Select(p => p.Message!);

    public Hl7Segment? FileHeader => Parts.FirstOrDefault(p => p.Segment?.Id == "FHS")?.Segment;

    public IEnumerable<Hl7Segment> BatchHeaders => Parts.Where(p => p.Segment?.Id == "BHS").Select(p => p.Segment!);

    /// <summary>True when the payload had FHS or BHS envelopes (not just back-to-back messages).</summary>
    public bool HasEnvelope => Parts.Any(p => p.Segment?.Id is "FHS" or "BHS");
}
