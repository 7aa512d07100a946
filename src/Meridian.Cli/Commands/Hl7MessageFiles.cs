namespace Meridian.Cli.Commands;

/// <summary>
/// Splits a file of HL7 v2 messages into one payload per message, as the bytes were written:
/// segments may end in CR, LF or CRLF (re-joined with CR, the standard separator); batch envelope
/// segments (FHS, BHS, BTS, FTS) and MLLP framing bytes are dropped; a message starts at each MSH.
/// </summary>
internal static class Hl7MessageFiles
{
    public static List<byte[]> Split(ReadOnlySpan<byte> file)
    {
        var messages = new List<byte[]>();
        List<byte>? current = null;
        var start = 0;
        for (var i = 0; i <= file.Length; i++)
        {
            if (i < file.Length && file[i] is not ((byte)'\r' or (byte)'\n'))
            {
                continue;
            }
            var line = Clean(file[start..i]);
            start = i + 1;
            if (line.Length == 0)
            {
                continue;
            }
            if (IsSegment(line, "MSH"))
            {
                if (current is { Count: > 0 })
                {
                    messages.Add([.. current]);
                }
                current = [];
            }
            else if (IsSegment(line, "FHS") || IsSegment(line, "BHS") || IsSegment(line, "BTS") || IsSegment(line, "FTS") || current is null)
            {
                continue;
            }
            current.AddRange(line);
            current.Add((byte)'\r');
        }
        if (current is { Count: > 0 })
        {
            messages.Add([.. current]);
        }
        return messages;
    }

    private static byte[] Clean(ReadOnlySpan<byte> line)
    {
        var list = new List<byte>(line.Length);
        foreach (var b in line)
        {
            if (b is not (0x0B or 0x1C))
            {
                list.Add(b);
            }
        }
        return [.. list];
    }

    private static bool IsSegment(byte[] line, string id) =>
        line.Length >= 3 && line[0] == id[0] && line[1] == id[1] && line[2] == id[2] && (line.Length == 3 || line[3] is not ((byte)'\r' or (byte)'\n'));
}
