namespace Meridian.Hl7.Tests;

/// <summary>
/// The corpus manifest (written by whoever collected the data, not by this parser) states each
/// message's MSH-9 parts, MSH-12 and segment count; the parser must read the same.
/// </summary>
public sealed class ManifestTests
{
    public static TheoryData<string, string, string, string, string, int> Rows()
    {
        var data = new TheoryData<string, string, string, string, string, int>();
        foreach (var line in File.ReadLines(Path.Combine(Hl7Corpus.Root, "manifest.csv")).Skip(1))
        {
            var cells = SplitCsv(line);
            data.Add(cells[0], cells[4], cells[5], cells[6], cells[7], int.Parse(cells[8], System.Globalization.CultureInfo.InvariantCulture));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Header_and_segment_count_match_the_manifest(string file, string type, string trigger, string structure, string version, int segments)
    {
        var message = Hl7Parser.Parse(Hl7Corpus.Read(file)).Message!;

        Assert.Equal(type, message.Header.MessageType);
        Assert.Equal(trigger, message.Header.TriggerEvent);
        Assert.Equal(structure, message.Header.MessageStructure);
        Assert.Equal(version, message.Header.Version);
        Assert.Equal(segments, message.Segments.Length);
    }

    private static List<string> SplitCsv(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }
        cells.Add(cell.ToString());
        return cells;
    }
}
