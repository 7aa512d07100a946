using System.Text;

namespace Meridian.Hl7;

/// <summary>
/// Writes messages back to text or bytes. By default the output is exactly what was parsed
/// (leading characters, every segment's own terminator, the same character encoding).
/// With <c>normalize</c> the leading characters are dropped and every segment ends with a
/// single CR, as the standard and MLLP peers expect.
/// </summary>
public static class Hl7Writer
{
    public static string ToText(Hl7Message message, bool normalize = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sb = new StringBuilder(message.Segments.Sum(s => s.Raw.Length + 2) + message.Leading.Length);
        Append(sb, message, normalize);
        return sb.ToString();
    }

    public static byte[] ToBytes(Hl7Message message, bool normalize = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Encoding.GetBytes(ToText(message, normalize));
    }

    public static string ToText(Hl7Batch batch, bool normalize = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var sb = new StringBuilder();
        if (!normalize)
        {
            sb.Append(batch.Leading);
        }
        foreach (var part in batch.Parts)
        {
            if (part.Message is { } message)
            {
                Append(sb, message, normalize);
            }
            else if (part.Segment is { } segment)
            {
                sb.Append(segment.Raw).Append(normalize ? "\r" : segment.Terminator);
            }
            else
            {
                sb.Append(part.RawText);
            }
        }
        return sb.ToString();
    }

    public static byte[] ToBytes(Hl7Batch batch, bool normalize = false)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Encoding.GetBytes(ToText(batch, normalize));
    }

    private static void Append(StringBuilder sb, Hl7Message message, bool normalize)
    {
        if (!normalize)
        {
            sb.Append(message.Leading);
        }
        foreach (var segment in message.Segments)
        {
            sb.Append(segment.Raw).Append(normalize ? "\r" : segment.Terminator);
        }
    }
}
