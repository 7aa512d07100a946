namespace Meridian.Hl7.Tests;

/// <summary>The typed view over the IG's ADT_A01 and ORU_R01 benchmark messages: names from the tables, not classes.</summary>
public sealed class TypedViewTests
{
    private static Hl7Message Load(string name) => Hl7Parser.Parse(Hl7Corpus.Read($"v2-to-fhir/messages/{name}.hl7")).Message!;

    [Fact]
    public void Person_name_identifier_and_address_by_component_name()
    {
        var pid = Load("ADT_A01").Segment("PID")!;

        var name = pid.Field("patientName");
        Assert.Equal("XPN", name.DataType);
        Assert.Equal(2, name.RepetitionCount);
        Assert.Equal("Everywoman", name.Rep(0).Component("family").Value);
        Assert.Equal("Eve", name.Rep(0).Component("givenName").Value);
        Assert.Equal("Original", name.Rep(1).Component("family").Value);
        Assert.Equal("FN", name.Rep(0).Component("family").DataType);
        Assert.Equal("Everywoman", name.Rep(0).Component("family").Sub("surname").Value);

        var id = pid.Field(3).Rep(0);
        Assert.Equal("1032702", id.Component("id").Value);
        Assert.Equal("MR", id.Component("identifierTypeCode").Value);
        Assert.Equal("1.2.3.4.5", id.Component("assigningAuthority").Sub("universalId").Value);
        Assert.Equal("DL", pid.Field(3).Rep(1).Component("type").Value);
    }

    [Fact]
    public void Dates_parse_with_their_precision_and_offset()
    {
        var message = Load("ADT_A01");

        var sent = message.Header.DateTimeOfMessage!.Value;
        Assert.Equal(new DateTimeOffset(2015, 6, 1, 13, 58, 23, TimeSpan.FromHours(1)), sent.Value);
        Assert.Equal(Hl7DatePrecision.Second, sent.Precision);
        Assert.True(sent.HasOffset);

        var evn = message.Segment("EVN")!;
        Assert.Equal("TS", evn.Field(2).DataType); // v2.5.1: DTM fields are TS
        Assert.Equal(2015, evn.Field("recordedDateTime").AsDateTime()!.Value.Value.Year);
    }

    [Fact]
    public void Obx5_takes_its_data_type_from_obx2()
    {
        var oru = Load("ORU_R01");
        var observations = oru.SegmentsOf("OBX").ToList();

        Assert.Equal("NM", observations[0].Field(5).DataType);
        Assert.Equal("3.9", observations[0].Field(5).Value);
        Assert.Equal("SN", observations[2].Field(5).DataType);
        Assert.Equal("<0.10", observations[2].Field(5).Raw); // this sender put the whole SN in its first component
        var sn = Hl7Parser.Parse("MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rOBX|1|SN|x||<^0.10\r").Message!.Segment("OBX")!.Field(5);
        Assert.Equal(("<", "0.10"), (sn.Component("comparator").Value, sn.Component("num1").Value));
        Assert.Equal("6153-1", observations[0].Field("observationIdentifier").Component("code").Value);
        Assert.Equal("LN", observations[0].Field(3).Component("system").Value);
    }

    [Theory]
    [InlineData("2.8", "DTM", "CWE", "XPN")]
    [InlineData("2.7", "DTM", "CWE", "XPN")]
    [InlineData("2.6", "TS", "CWE", "XPN")]
    [InlineData("2.5.1", "TS", "CE", "XPN")]
    [InlineData("2.3", "TS", "CE", "XPN")]
    [InlineData("2.2", "TS", "CE", "PN")]
    [InlineData("", "TS", "CE", "XPN")]
    public void Data_types_follow_the_version(string version, string birth, string race, string name)
    {
        var message = Hl7Parser.Parse($"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|{version}\rPID|1||1||DOE^JANE||19700101|F||2106-3^White^HL70005\r").Message!;
        var pid = message.Segment("PID")!;

        Assert.Equal(birth, pid.Field(7).DataType);
        Assert.Equal(race, pid.Field(10).DataType);
        Assert.Equal(name, pid.Field(5).DataType);
        // One name works across the old and new forms.
        Assert.Equal("DOE", pid.Field(5).Component("family").Value);
        Assert.Equal("2106-3", pid.Field(10).Component("code").Value);
        Assert.Equal(new DateTime(1970, 1, 1), pid.Field(7).AsDateTime()!.Value.Value.Date);
    }

    [Fact]
    public void Tables_cover_the_segments_and_types_the_mappings_need()
    {
        var schema = Hl7Schema.Default;

        foreach (var id in new[] { "MSH", "EVN", "PID", "PD1", "NK1", "PV1", "PV2", "IN1", "AL1", "DG1", "ORC", "OBR", "OBX", "NTE", "SPM", "RXE", "RXR", "RXA", "SCH", "AIS", "AIG", "AIL", "AIP", "TXA", "MRG", "MSA", "ERR" })
        {
            Assert.True(schema.Segment(id) is { Fields.Count: > 3 }, id);
        }
        foreach (var id in new[] { "XPN", "XAD", "CX", "CE", "CWE", "CNE", "TS", "DTM", "XCN", "EI", "HD", "XTN", "PL", "CQ", "NM", "ST", "ID", "IS", "SN", "MSG", "PT", "VID", "DT", "SI", "TX", "FT", "TM" })
        {
            Assert.NotNull(schema.DataType(id));
        }
        Assert.False(schema.DataType("DTM")!.IsComposite);
        Assert.True(schema.DataType("XPN")!.IsComposite);
        Assert.Equal(5, schema.FieldPosition("PID", "patientName"));
        Assert.Equal(5, schema.FieldPosition("PID", "PID-5"));
        Assert.Equal(0, schema.FieldPosition("ZPD", "anything"));
    }

    [Fact]
    public void Z_segments_are_navigable_by_position_without_a_table()
    {
        var message = Hl7Parser.Parse(Hl7Corpus.Read("edge-cases/rethinkhealth-hl7v2/edge-z-segments.hl7")).Message!;
        var zvn = message.Segment("ZVN")!;

        Assert.Null(zvn.Field(3).DataType);
        Assert.Equal("VALUE2", zvn.Field(3).Component(2).Value);
        Assert.Equal("EXTENDED_FIELD_4", message.Get("ZPD-5"));
    }

    [Theory]
    [InlineData("2024", Hl7DatePrecision.Year, false)]
    [InlineData("202402", Hl7DatePrecision.Month, false)]
    [InlineData("20240229", Hl7DatePrecision.Day, false)]
    [InlineData("2024022913", Hl7DatePrecision.Hour, false)]
    [InlineData("202402291305-0500", Hl7DatePrecision.Minute, true)]
    [InlineData("20240229130559", Hl7DatePrecision.Second, false)]
    [InlineData("20240229130559.1234+0100", Hl7DatePrecision.FractionalSecond, true)]
    public void Hl7_date_times_parse_at_every_precision_and_write_back(string text, Hl7DatePrecision precision, bool offset)
    {
        Assert.True(Hl7DateTime.TryParse(text, out var value));
        Assert.Equal(precision, value.Precision);
        Assert.Equal(offset, value.HasOffset);
        Assert.Equal(text, value.ToHl7());
    }

    [Theory]
    [InlineData("20230229")]
    [InlineData("2024133")]
    [InlineData("20241301")]
    [InlineData("202401011260")]
    [InlineData("20240101+05")]
    [InlineData("abc")]
    [InlineData("")]
    public void Malformed_date_times_are_rejected(string text)
    {
        Assert.False(Hl7DateTime.TryParse(text, out _));
    }
}
