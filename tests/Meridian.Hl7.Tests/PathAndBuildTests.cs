namespace Meridian.Hl7.Tests;

public sealed class PathAndBuildTests
{
    private const string Text = "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rPID|1||111^^^MRN~222^^^SSN||DOE^JOHN\rOBX|1|NM|1^a||5\rOBX|2|NM|2^b||6\r";

    [Theory]
    [InlineData("MSH-9.2", "R01")]
    [InlineData("MSH-10", "1")]
    [InlineData("PID-3", "111")]
    [InlineData("PID-3[2].1", "222")]
    [InlineData("PID-3[2].4", "SSN")]
    [InlineData("OBX[2]-5", "6")]
    [InlineData("OBX[3]-5", "")]
    [InlineData("PID-30", "")]
    [InlineData("NTE-1", "")]
    public void Get_reads_values_by_path(string path, string expected)
    {
        Assert.Equal(expected, Hl7Parser.Parse(Text).Message!.Get(path));
    }

    [Fact]
    public void With_builds_new_messages_and_leaves_the_original_alone()
    {
        var original = Hl7Parser.Parse(Text).Message!;

        var changed = original.With("PID-5.3", "Q|R").With("PID-3[3].1", "333").With("OBX[2]-5", "7").With("NTE-3", "note");

        Assert.Equal("Q|R", changed.Get("PID-5.3"));
        Assert.Equal("DOE^JOHN^Q\\F\\R", changed.Segment("PID")!.Field(5).Raw);
        Assert.Equal("333", changed.Get("PID-3[3]"));
        Assert.Equal("7", changed.Get("OBX[2]-5"));
        Assert.Equal("note", changed.Get("NTE-3"));
        Assert.Equal(Text, original.ToString());
        Assert.True(Hl7Parser.Parse(changed.ToString()).Success);
    }

    [Fact]
    public void Messages_can_be_built_from_segments()
    {
        var d = Hl7Delimiters.Default;
        var message = Hl7Message.Create(
        [
            Hl7Segment.Create("MSH", d, ["APP", "FAC", "", "", "20240101", "", "ADT^A04^ADT_A01", "X1", "P", "2.8"]),
            Hl7Segment.Create("PID", d, ["1", "", "9^^^MRN", "", Hl7Escape.Encode("O'NEIL^ANN", d)]),
        ]);

        Assert.Equal("MSH|^~\\&|APP|FAC|||20240101||ADT^A04^ADT_A01|X1|P|2.8\rPID|1||9^^^MRN||O'NEIL\\S\\ANN\r", message.ToString());
        Assert.Equal("O'NEIL^ANN", message.Get("PID-5"));
        Assert.Equal("2.8", message.Version);
        Assert.Equal("DTM", message.Segment("PID")!.Field(7).DataType);
    }

    [Theory]
    [InlineData("pid-3")]
    [InlineData("PID-")]
    [InlineData("PID-3[0]")]
    [InlineData("PID[0]-3")]
    public void Malformed_paths_are_rejected(string path)
    {
        Assert.False(Hl7Path.TryParse(path, out _));
    }

    [Fact]
    public void Following_walks_segment_groups_without_structure_classes()
    {
        var message = Hl7Parser.Parse(Hl7Corpus.Read("v2-to-fhir/messages/ORU_R01.hl7")).Message!;
        var obr = message.Segment("OBR")!;

        var block = message.Following(obr, "OBX", "NTE", "PRT").ToList();

        Assert.Equal(["NTE", "PRT"], block.Take(2).Select(s => s.Id));
        Assert.Equal(message.SegmentsOf("OBX").Count(), block.Count(s => s.Id == "OBX"));
        Assert.Empty(message.Following(message.Segment("PID")!, "OBX"));
    }

    [Fact]
    public void Segments_can_be_inserted_and_removed_without_touching_the_rest()
    {
        var original = Hl7Parser.Parse(Text).Message!;
        var nte = Hl7Segment.Create("NTE", original.Delimiters, ["1", "", "comment"]);

        var inserted = original.InsertSegment(3, nte);
        var removed = inserted.RemoveSegment(3).RemoveSegment(inserted.Segments.Length - 2);

        Assert.Equal(["MSH", "PID", "OBX", "NTE", "OBX"], inserted.Segments.Select(s => s.Id));
        Assert.Equal("MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rPID|1||111^^^MRN~222^^^SSN||DOE^JOHN\rOBX|1|NM|1^a||5\r", removed.ToString());
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(Text), original.ToBytes());
    }
}
