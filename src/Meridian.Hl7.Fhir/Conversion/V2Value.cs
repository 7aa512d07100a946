namespace Meridian.Hl7.Fhir.Conversion;

/// <summary>How deep a <see cref="V2Value"/> sits: its children are components, subcomponents, or none.</summary>
internal enum V2Level
{
    Repetition,
    Component,
    Subcomponent,
}

/// <summary>
/// A piece of a v2 field as written (escaped): one repetition, component or subcomponent. Data
/// type maps address its children by 1-based position whatever its level, so the HD map reads
/// CX.4's subcomponents with the same rules it uses on MSH-4's components.
/// </summary>
internal readonly record struct V2Value(string Raw, V2Level Level, Hl7Delimiters Delimiters)
{
    public bool IsEmpty => Raw.Length == 0 || Raw == "\"\"";

    /// <summary>Child <paramref name="position"/> (1-based); a leaf's child 1 is itself.</summary>
    public V2Value Child(int position)
    {
        if (position < 1)
        {
            return new V2Value("", V2Level.Subcomponent, Delimiters);
        }
        return Level switch
        {
            V2Level.Repetition => new V2Value(Piece(Raw, Delimiters.Component, position - 1), V2Level.Component, Delimiters),
            V2Level.Component => new V2Value(Piece(Raw, Delimiters.Subcomponent, position - 1), V2Level.Subcomponent, Delimiters),
            _ => position == 1 ? this : new V2Value("", V2Level.Subcomponent, Delimiters),
        };
    }

    /// <summary>The decoded first leaf (the way HL7 tools read "PID-8"), trimmed; empty for the HL7 null <c>""</c>.</summary>
    public string Text
    {
        get
        {
            if (IsEmpty)
            {
                return "";
            }
            var leaf = this;
            while (leaf.Level != V2Level.Subcomponent)
            {
                leaf = leaf.Child(1);
            }
            return Hl7Escape.Decode(leaf.Raw, Delimiters).Trim();
        }
    }

    /// <summary>The whole value decoded (formatted text such as FT keeps its line breaks).</summary>
    public string FullText => IsEmpty ? "" : Hl7Escape.Decode(Raw, Delimiters);

    /// <summary>Follows a dotted position path (<c>4.2</c>); <c>*</c> or empty is the value itself.</summary>
    public V2Value Select(string path)
    {
        if (path.Length == 0 || path == "*")
        {
            return this;
        }
        var value = this;
        foreach (var part in path.Split('.'))
        {
            value = value.Child(int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : 0);
        }
        return value;
    }

    private static string Piece(string raw, char separator, int index)
    {
        var start = 0;
        for (var i = 0; i < index; i++)
        {
            var next = raw.IndexOf(separator, start);
            if (next < 0)
            {
                return "";
            }
            start = next + 1;
        }
        var end = raw.IndexOf(separator, start);
        return end < 0 ? raw[start..] : raw[start..end];
    }
}
