using System.Collections.Immutable;
using System.Text;

namespace Meridian.Hl7;

/// <summary>
/// One HL7 v2 message, immutable and lossless: segments as received plus whatever surrounded
/// them (<see cref="Leading"/>, e.g. a BOM or blank lines; each segment's own terminator), and
/// the character encoding the bytes were decoded with, so <see cref="Hl7Writer"/> reproduces the
/// input byte for byte. Modifying methods return new messages.
/// </summary>
public sealed class Hl7Message
{
    internal Hl7Message(ImmutableArray<Hl7Segment> segments, Hl7Delimiters delimiters, Encoding encoding, string leading)
    {
        Segments = segments;
        Delimiters = delimiters;
        Encoding = encoding;
        Leading = leading;
    }

    /// <summary>Builds a message from segments (the first must be MSH); written with "\r" separators.</summary>
    public static Hl7Message Create(IEnumerable<Hl7Segment> segments, Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var list = segments.ToImmutableArray();
        if (list.Length == 0 || list[0].Id != "MSH")
        {
            throw new ArgumentException("a message starts with an MSH segment", nameof(segments));
        }
        var version = Hl7Versions.Effective(list[0].Field(12).Value);
        return new Hl7Message([.. list.Select(s => s.WithVersion(version))], list[0].Delimiters, encoding ?? Hl7Charsets.Utf8, "");
    }

    public ImmutableArray<Hl7Segment> Segments { get; }

    public Hl7Delimiters Delimiters { get; }

    /// <summary>The encoding the message was decoded with (from MSH-18, the fallback, or ISO-8859-1 for undecodable bytes); the writer encodes with it.</summary>
    public Encoding Encoding { get; }

    /// <summary>Characters before MSH that the parser tolerated (BOM, whitespace, an MLLP start byte).</summary>
    public string Leading { get; }

    /// <summary>The MSH segment.</summary>
    public Hl7Segment Msh => Segments[0];

    /// <summary>The typed header (MSH fields by name).</summary>
    public Hl7Header Header => new(Msh);

    /// <summary>MSH-12 as written (may be empty or non-standard).</summary>
    public string DeclaredVersion => Msh.Field(12).Value;

    /// <summary>The version the typed view reads the message as (see <see cref="Hl7Versions.Effective"/>).</summary>
    public string Version => Msh.Version;

    /// <summary>The <paramref name="occurrence"/>-th (0-based) segment with this id, or null.</summary>
    public Hl7Segment? Segment(string id, int occurrence = 0)
    {
        foreach (var segment in Segments)
        {
            if (segment.Id == id && occurrence-- == 0)
            {
                return segment;
            }
        }
        return null;
    }

    /// <summary>Every segment with this id, in order.</summary>
    public IEnumerable<Hl7Segment> SegmentsOf(string id) => Segments.Where(s => s.Id == id);

    /// <summary>
    /// The segments right after <paramref name="anchor"/> whose ids are in <paramref name="childIds"/>,
    /// up to the first that is not — the way segment groups nest (an OBR's OBX and NTE, an OBX's
    /// NTE), without a class per message structure.
    /// </summary>
    public IEnumerable<Hl7Segment> Following(Hl7Segment anchor, params string[] childIds)
    {
        ArgumentNullException.ThrowIfNull(childIds);
        var index = Segments.IndexOf(anchor);
        if (index < 0)
        {
            yield break;
        }
        for (var i = index + 1; i < Segments.Length && Array.IndexOf(childIds, Segments[i].Id) >= 0; i++)
        {
            yield return Segments[i];
        }
    }

    /// <summary>The decoded value at a path such as <c>PID-5.1</c>, <c>PID-3[2].4.2</c> or <c>OBX[3]-5</c> (all 1-based); empty when absent.</summary>
    public string Get(string path) => Hl7Path.Parse(path).Select(this).Value;

    /// <summary>A copy with segment <paramref name="index"/> replaced.</summary>
    public Hl7Message WithSegment(int index, Hl7Segment segment) =>
        new(Segments.SetItem(index, segment.WithVersion(Version)), Delimiters, Encoding, Leading);

    /// <summary>A copy with a segment appended (separated by "\r").</summary>
    public Hl7Message AddSegment(Hl7Segment segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var segments = Segments;
        if (segments[^1].Terminator.Length == 0)
        {
            segments = segments.SetItem(segments.Length - 1, segments[^1].WithTerminator("\r"));
        }
        return new(segments.Add(segment.WithVersion(Version)), Delimiters, Encoding, Leading);
    }

    /// <summary>A copy with a segment inserted before <paramref name="index"/> (1 or more: MSH stays first).</summary>
    public Hl7Message InsertSegment(int index, Hl7Segment segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        if (index >= Segments.Length)
        {
            return AddSegment(segment);
        }
        return new(Segments.Insert(index, segment.WithVersion(Version)), Delimiters, Encoding, Leading);
    }

    /// <summary>A copy without segment <paramref name="index"/> (MSH cannot be removed).</summary>
    public Hl7Message RemoveSegment(int index)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        var segments = Segments.RemoveAt(index);
        if (index == Segments.Length - 1)
        {
            // The new last segment ends the message the way the removed one did.
            segments = segments.SetItem(segments.Length - 1, segments[^1].WithTerminator(Segments[^1].Terminator));
        }
        return new(segments, Delimiters, Encoding, Leading);
    }

    /// <summary>The message as bytes in its encoding (see <see cref="Hl7Writer"/>).</summary>
    public byte[] ToBytes(bool normalize = false) => Hl7Writer.ToBytes(this, normalize);

    /// <summary>
    /// A copy with the value at <paramref name="path"/> set to <paramref name="text"/> (escaped
    /// here), creating missing repetitions, components and fields.
    /// </summary>
    public Hl7Message With(string path, string text) => Hl7Path.Parse(path).Set(this, Hl7Escape.Encode(text, Delimiters));

    /// <summary>The message text exactly as received (or built).</summary>
    public override string ToString() => Hl7Writer.ToText(this);
}
