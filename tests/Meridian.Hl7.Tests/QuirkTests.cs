namespace Meridian.Hl7.Tests;

/// <summary>Real-world sloppiness is tolerated with warnings; structure is still read correctly and written back exactly.</summary>
public sealed class QuirkTests
{
    private const string Msh = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1";

    [Theory]
    [InlineData("\n", Hl7IssueCodes.SegmentSeparator)]
    [InlineData("\r\n", Hl7IssueCodes.SegmentSeparator)]
    [InlineData("\r\r\n\r", Hl7IssueCodes.BlankLines)]
    public void Other_segment_separators_are_warnings(string separator, string code)
    {
        var text = Msh + separator + "PID|1||7" + separator + "PV1|1|I" + separator;

        var result = Hl7Parser.Parse(text);

        Assert.Equal(["MSH", "PID", "PV1"], result.Message!.Segments.Select(s => s.Id));
        Assert.Contains(result.Warnings, w => w.Code == code);
        Assert.Equal(text, result.Message.ToString());
        Assert.Equal(Msh + "\rPID|1||7\rPV1|1|I\r", Hl7Writer.ToText(result.Message, normalize: true));
    }

    [Fact]
    public void Leading_whitespace_and_missing_final_separator_are_tolerated()
    {
        var text = "\r\n  " + Msh + "\rPID|1||7";

        var result = Hl7Parser.Parse(text);

        Assert.Equal("7", result.Message!.Get("PID-3"));
        Assert.Contains(result.Warnings, w => w.Code == Hl7IssueCodes.LeadingJunk);
        Assert.Equal(text, result.Message.ToString());
    }

    [Theory]
    [InlineData("", "MSH-12 (version) is empty")]
    [InlineData("2.3.z", "not an HL7 v2 version")]
    [InlineData("V2.5", "not an HL7 v2 version")]
    public void Absent_or_wrong_versions_are_warnings_and_read_as_the_nearest_known(string version, string text)
    {
        var result = Hl7Parser.Parse($"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|{version}\rPID|1\r");

        Assert.True(result.Success);
        Assert.Contains(result.Warnings, w => w.Code == Hl7IssueCodes.Version && w.Message.Contains(text, StringComparison.Ordinal));
        Assert.Equal(version == "2.3.z" ? "2.3" : Hl7Versions.Default, result.Message!.Version);
    }

    [Fact]
    public void Missing_optional_fields_and_short_segments_read_as_empty()
    {
        var message = Hl7Parser.Parse(Msh + "\rPID\rPV1|\r").Message!;

        Assert.Equal("", message.Get("PID-5.1"));
        Assert.Equal(0, message.Segment("PID")!.FieldCount);
        Assert.True(message.Segment("PV1")!.Field(44).IsEmpty);
        Assert.Equal(0, message.Segment("PV1")!.Field(2).RepetitionCount);
    }

    [Fact]
    public void Truncation_character_of_v27_is_an_encoding_character()
    {
        var message = Hl7Parser.Parse(Hl7Corpus.Read("v2-to-fhir/messages/ORU_R01.hl7")).Message!;

        Assert.Equal('#', message.Delimiters.Truncation);
        Assert.Equal("^~\\&#", message.Msh.Field(2).Value);
        Assert.Equal("|", message.Msh.Field(1).Value);
    }

    [Fact]
    public void Explicit_null_is_distinguished_from_empty()
    {
        var pid = Hl7Parser.Parse(Msh + "\rPID|1||\"\"\r").Message!.Segment("PID")!;

        Assert.True(pid.Field(3).IsNull);
        Assert.False(pid.Field(4).IsNull);
    }

    [Fact]
    public void A_raw_line_feed_inside_a_field_of_a_CR_message_stays_in_the_field()
    {
        var text = Msh + "\rOBX|1|TX|x||first line\nsecond line: ok\nNTE like text\rNTE|1||n\r";

        var result = Hl7Parser.Parse(text);

        Assert.Equal(["MSH", "OBX", "NTE"], result.Message!.Segments.Select(s => s.Id));
        Assert.Equal("first line\nsecond line: ok\nNTE like text", result.Message.Get("OBX-5"));
        Assert.Contains(result.Warnings, w => w.Code == Hl7IssueCodes.LineBreakInField);
        Assert.Equal(text, result.Message.ToString());
    }

    [Fact]
    public void Line_feeds_split_segments_when_they_are_the_separator()
    {
        var text = Msh + "\nPID|1\nPV1|1\n";

        Assert.Equal(3, Hl7Parser.Parse(text).Message!.Segments.Length);
        Assert.Equal(3, Hl7Parser.Parse(Msh + "\rPID|1\nPV1|1\r").Message!.Segments.Length);
    }
}
