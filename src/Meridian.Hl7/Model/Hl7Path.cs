using System.Globalization;
using System.Text.RegularExpressions;

namespace Meridian.Hl7;

/// <summary>
/// A location in a message, written as in the HL7 and v2-to-FHIR documents: <c>PID-5</c>,
/// <c>PID-5.1</c>, <c>PID-3[2].4.2</c> (third level: subcomponent), <c>OBX[3]-5</c> (third OBX).
/// Every index here is 1-based; a level not given means "the first".
/// </summary>
public sealed partial record Hl7Path(string SegmentId, int Occurrence, int Field, int Repetition, int Component, int Subcomponent)
{
    [GeneratedRegex(@"^(?<seg>[A-Z0-9]{3})(\[(?<occ>\d{1,5})\])?(-(?<field>\d{1,4})(\[(?<rep>\d{1,5})\])?(\.(?<comp>\d{1,4})(\.(?<sub>\d{1,4}))?)?)?$")]
    private static partial Regex Pattern();

    public static bool TryParse(string text, out Hl7Path path)
    {
        path = null!;
        var m = Pattern().Match(text ?? "");
        if (!m.Success)
        {
            return false;
        }
        int Get(string group) => m.Groups[group].Success ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : 1;
        path = new Hl7Path(m.Groups["seg"].Value, Get("occ"), m.Groups["field"].Success ? Get("field") : 0, Get("rep"), m.Groups["comp"].Success ? Get("comp") : 0, m.Groups["sub"].Success ? Get("sub") : 0);
        return path.Occurrence > 0 && path.Repetition > 0;
    }

    public static Hl7Path Parse(string text) =>
        TryParse(text, out var path) ? path : throw new FormatException($"'{text}' is not an HL7 path such as PID-3[2].4.2");

    /// <summary>The element at this path (the leaf at the deepest level given); empty when absent.</summary>
    public Hl7Subcomponent Select(Hl7Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Segment(SegmentId, Occurrence - 1) is not { } segment || Field == 0)
        {
            return default;
        }
        var field = segment.Field(Field);
        var rep = field.Rep(Repetition - 1);
        var component = rep.Component(Math.Max(Component, 1));
        return component.Sub(Math.Max(Subcomponent, 1));
    }

    /// <summary>
    /// A copy of <paramref name="message"/> with <paramref name="escaped"/> at this path; missing
    /// levels are created empty. Setting a whole field (no component given) replaces it.
    /// </summary>
    public Hl7Message Set(Hl7Message message, string escaped)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Field == 0)
        {
            throw new InvalidOperationException("a path without a field cannot be set");
        }
        var index = -1;
        var seen = 0;
        for (var i = 0; i < message.Segments.Length; i++)
        {
            if (message.Segments[i].Id == SegmentId && ++seen == Occurrence)
            {
                index = i;
                break;
            }
        }
        if (index < 0)
        {
            if (seen != Occurrence - 1)
            {
                throw new InvalidOperationException($"{SegmentId} occurrence {Occurrence} cannot be created before occurrence {seen + 1}");
            }
            message = message.AddSegment(Hl7Segment.Create(SegmentId, message.Delimiters, []));
            index = message.Segments.Length - 1;
        }
        var segment = message.Segments[index];
        var d = message.Delimiters;
        var raw = segment.Field(Field).Raw;
        var value = escaped;
        if (Component > 0)
        {
            var rep = Hl7Split.Piece(raw, d.Repetition, Repetition - 1);
            var comp = Hl7Split.Piece(rep, d.Component, Component - 1);
            if (Subcomponent > 0)
            {
                value = Replace(comp, d.Subcomponent, Subcomponent - 1, value);
            }
            value = Replace(rep, d.Component, Component - 1, value);
        }
        value = Replace(raw, d.Repetition, Repetition - 1, value);
        return message.WithSegment(index, segment.WithField(Field, value));
    }

    private static string Replace(string text, char separator, int index, string value)
    {
        if (separator == '\0')
        {
            return index == 0 ? value : text;
        }
        var pieces = text.Length == 0 ? new List<string>() : [.. text.Split(separator)];
        while (pieces.Count <= index)
        {
            pieces.Add("");
        }
        pieces[index] = value;
        while (pieces.Count > 1 && pieces[^1].Length == 0)
        {
            pieces.RemoveAt(pieces.Count - 1);
        }
        return string.Join(separator, pieces);
    }

    public override string ToString()
    {
        var s = Occurrence > 1 ? $"{SegmentId}[{Occurrence}]" : SegmentId;
        if (Field == 0)
        {
            return s;
        }
        s += $"-{Field}" + (Repetition > 1 ? $"[{Repetition}]" : "");
        if (Component > 0)
        {
            s += $".{Component}";
        }
        return Subcomponent > 0 ? s + $".{Subcomponent}" : s;
    }
}
