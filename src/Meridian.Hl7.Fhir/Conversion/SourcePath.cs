using System.Globalization;

namespace Meridian.Hl7.Fhir.Conversion;

/// <summary>
/// A rule's v2 source inside a segment map: <c>SEG-F[*].C.S</c>. <c>[*]</c> takes every
/// repetition (otherwise the first). A segment other than the one being mapped is looked up in
/// the message: MSH always, others the nearest occurrence before the current segment (OBR for
/// its OBX, ORC for its RXA), else the first one after it.
/// </summary>
internal sealed record SourcePath(string Segment, int Field, bool AllRepetitions, string Rest)
{
    public static SourcePath? Parse(string text)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash != 3)
        {
            return null;
        }
        var segment = text[..3];
        var tail = text[(dash + 1)..];
        var end = 0;
        while (end < tail.Length && char.IsAsciiDigit(tail[end]))
        {
            end++;
        }
        if (end == 0 || !int.TryParse(tail[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var field))
        {
            return null;
        }
        tail = tail[end..];
        var all = tail.StartsWith("[*]", StringComparison.Ordinal);
        if (all)
        {
            tail = tail[3..];
        }
        if (tail.Length > 0 && tail[0] != '.')
        {
            return null;
        }
        return new SourcePath(segment, field, all, tail.TrimStart('.'));
    }

    /// <summary>The values at this path in <paramref name="segment"/> (none, one, or one per
    /// repetition with <c>[*]</c>). An array, not an iterator: it runs for every rule of every
    /// segment, and the iterator object was the conversion's second largest allocation.</summary>
    public V2Value[] Select(Hl7Segment segment)
    {
        var field = segment.Field(Field);
        var delimiters = segment.Delimiters;
        if (field.IsEmpty)
        {
            return [];
        }
        // MSH-1/MSH-2 are the delimiters themselves: never split them.
        if (segment.IsHeader && Field <= 2)
        {
            return [new V2Value(field.Raw, V2Level.Subcomponent, delimiters)];
        }
        var count = AllRepetitions ? field.RepetitionCount : 1;
        if (count == 1)
        {
            var only = new V2Value(field.Rep(0).Raw, V2Level.Repetition, delimiters).Select(Rest);
            return only.IsEmpty ? [] : [only];
        }
        var values = new List<V2Value>(count);
        for (var i = 0; i < count; i++)
        {
            var value = new V2Value(field.Rep(i).Raw, V2Level.Repetition, delimiters).Select(Rest);
            if (!value.IsEmpty)
            {
                values.Add(value);
            }
        }
        return [.. values];
    }
}
