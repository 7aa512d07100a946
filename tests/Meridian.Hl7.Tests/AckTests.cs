namespace Meridian.Hl7.Tests;

public sealed class AckTests
{
    private const string Adt =
        "MSH|^~\\&|EPIC|HOSP^1.2.3^ISO|MERIDIAN|MFAC|20240101120000-0500||ADT^A01^ADT_A01|MSG00001|P|2.5.1|||AL|NE||UNICODE UTF-8\r" +
        "PID|1||12345^^^MRN||DOE^JOHN\r";

    private static readonly DateTimeOffset s_now = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    [Fact]
    public void Original_mode_ack_swaps_sender_and_receiver_and_echoes_the_control_id()
    {
        var incoming = Hl7Parser.Parse(Adt).Message!;

        var ack = Hl7AckBuilder.Build(incoming, Hl7AckCode.AA, new Hl7AckOptions { ControlId = "ACK1", Time = s_now });

        Assert.Equal(
            "MSH|^~\\&|MERIDIAN|MFAC|EPIC|HOSP^1.2.3^ISO|20240102030405+0000||ACK^A01^ACK|ACK1|P|2.5.1||||||UNICODE UTF-8\rMSA|AA|MSG00001\r",
            ack.ToString());
        var reparsed = Hl7Parser.Parse(ack.ToString());
        Assert.True(reparsed.Success);
        Assert.Empty(reparsed.Warnings);
        Assert.Equal("ACK", reparsed.Message!.Header.MessageType);
    }

    [Fact]
    public void Error_ack_carries_msa_text_and_an_err_segment_with_code_and_location()
    {
        var incoming = Hl7Parser.Parse(Adt).Message!;

        var ack = Hl7AckBuilder.Build(incoming, Hl7AckCode.AE, new Hl7AckOptions
        {
            ControlId = "ACK2",
            Time = s_now,
            Text = "PID-3 missing",
            Errors = [new Hl7AckError(Hl7ErrorCodes.RequiredFieldMissing, "patient identifier | required", "PID-3")],
        });

        Assert.Equal("AE", ack.Get("MSA-1"));
        Assert.Equal("MSG00001", ack.Get("MSA-2"));
        Assert.Equal("PID-3 missing", ack.Get("MSA-3"));
        var err = ack.Segment("ERR")!;
        Assert.Equal("PID^1^3^1", err.Field(2).Raw);
        Assert.Equal("101", err.Field(3).Component(1).Value);
        Assert.Equal("Required field missing", err.Field(3).Component(2).Value);
        Assert.Equal("HL70357", err.Field(3).Component(3).Value);
        Assert.Equal("E", err.Field(4).Value);
        Assert.Equal("patient identifier | required", err.Field(8).Value);
    }

    [Theory]
    [InlineData("", "", false, false, true, true)]
    [InlineData("AL", "NE", true, true, false, false)]
    [InlineData("ER", "AL", false, true, true, true)]
    [InlineData("NE", "SU", false, false, true, false)]
    public void Ack_request_follows_msh15_and_msh16(string msh15, string msh16, bool acceptOnSuccess, bool acceptOnError, bool appOnSuccess, bool appOnError)
    {
        var request = Hl7AckRequest.From(msh15, msh16);

        Assert.Equal(msh15.Length + msh16.Length > 0, request.IsEnhanced);
        Assert.Equal(acceptOnSuccess, request.WantsAcceptAck(accepted: true));
        Assert.Equal(acceptOnError, request.WantsAcceptAck(accepted: false));
        Assert.Equal(appOnSuccess, request.WantsApplicationAck(succeeded: true));
        Assert.Equal(appOnError, request.WantsApplicationAck(succeeded: false));
    }

    [Fact]
    public void Header_exposes_the_fields_the_listener_needs()
    {
        var header = Hl7Parser.Parse(Adt).Message!.Header;

        Assert.Equal("EPIC", header.SendingApplication.NamespaceId);
        Assert.Equal("1.2.3", header.SendingFacility.UniversalId);
        Assert.Equal(("ADT", "A01", "ADT_A01"), (header.MessageType, header.TriggerEvent, header.MessageStructure));
        Assert.Equal("MSG00001", header.ControlId);
        Assert.Equal("P", header.ProcessingId);
        Assert.Equal("2.5.1", header.Version);
        Assert.Equal(("AL", "NE"), (header.AcceptAckType, header.ApplicationAckType));
        Assert.Equal("UNICODE UTF-8", Assert.Single(header.CharacterSets));
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.FromHours(-5)), header.DateTimeOfMessage!.Value.Value);
        Assert.True(header.AckRequest.IsEnhanced);
    }

    [Fact]
    public void Unparseable_payload_still_gets_a_reject()
    {
        var ack = Hl7AckBuilder.BuildForUnparsed("PID|1||x", Hl7AckCode.AR, new Hl7AckOptions { Text = "no MSH", Time = s_now });

        Assert.Equal("AR", ack.Get("MSA-1"));
        Assert.Equal("207", ack.Get("ERR-3.1"));
        Assert.True(Hl7Parser.Parse(ack.ToString()).Success);
    }

    [Fact]
    public void Reject_of_a_payload_with_unusable_delimiters_still_echoes_its_control_id_and_sender()
    {
        var ack = Hl7AckBuilder.BuildForUnparsed("MSH|0000|LAB|HOSP|MER|FAC|20240101||ORU^R01|CTRL42|P|2.4\rPID|1\r"u8, Hl7AckCode.AR,
            new Hl7AckOptions { Text = "bad delimiters", Time = s_now });

        Assert.Equal("CTRL42", ack.Get("MSA-2"));
        Assert.Equal("LAB", ack.Get("MSH-5"));
        Assert.Equal("MER", ack.Get("MSH-3"));
        Assert.Equal("2.4", ack.Get("MSH-12"));
        Assert.StartsWith("^^^207&bad delimiters", ack.Segment("ERR")!.Field(1).Raw, StringComparison.Ordinal); // ELD before 2.5
    }

    [Theory]
    [InlineData("2.2", "ACK", "text")]
    [InlineData("2.3", "ACK^A01", "text")]
    [InlineData("2.3.1", "ACK^A01^ACK", "text")]
    [InlineData("2.5.1", "ACK^A01^ACK", "text")]
    [InlineData("2.8", "ACK^A01^ACK", "")]
    public void Ack_shape_follows_the_incoming_version(string version, string messageType, string msa3)
    {
        var incoming = Hl7Parser.Parse($"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|X9|P|{version}\rPID|1\r").Message!;

        var ack = Hl7AckBuilder.Build(incoming, Hl7AckCode.AE, new Hl7AckOptions { Text = "text", Errors = [new Hl7AckError("102", "bad", "PID-7")] });

        Assert.Equal(messageType, ack.Msh.Field(9).Raw);
        Assert.Equal(version, ack.Get("MSH-12"));
        Assert.Equal(msa3, ack.Get("MSA-3"));
        var err = ack.Segment("ERR")!;
        if (Hl7Versions.Minor(version) < 5)
        {
            Assert.Equal("PID^1^7^102&bad&HL70357", err.Field(1).Raw); // ELD
        }
        else
        {
            Assert.Equal("PID^1^7^1", err.Field(2).Raw); // ERL
            Assert.Equal("102", err.Field(3).Value);
        }
        Assert.Empty(Hl7Parser.Parse(ack.ToString()).Errors);
        Assert.Equal(20, ack.Header.ControlId.Length);
        Assert.NotEqual(ack.Header.ControlId, Hl7AckBuilder.Build(incoming, Hl7AckCode.AA).Header.ControlId);
    }

    [Fact]
    public void Ack_keeps_the_senders_delimiters_and_encoding()
    {
        var incoming = Hl7Parser.Parse(Hl7Corpus.Read("edge-cases/rethinkhealth-hl7v2/edge-custom-delimiters.hl7")).Message!;

        var ack = Hl7AckBuilder.Build(incoming, Hl7AckCode.CA, new Hl7AckOptions { ControlId = "C1", Time = s_now });

        Assert.StartsWith("MSH#!@%*#RECV#FAC#SENDER#FAC#20240102030405+0000##ACK!A01!ACK#C1#P#2.5\rMSA#CA#MSG007\r", ack.ToString(), StringComparison.Ordinal);
        Assert.Same(incoming.Encoding, ack.Encoding);
    }
}
