using System.Text;

namespace Meridian.Hl7.Tests;

public sealed class BatchTests
{
    [Theory]
    [MemberData(nameof(Hl7Corpus.BatchData), MemberType = typeof(Hl7Corpus))]
    public void Back_to_back_messages_split_at_each_msh_and_round_trip(string file)
    {
        var bytes = Hl7Corpus.Read(file);
        var expected = Encoding.Latin1.GetString(bytes).Split("MSH|").Length - 1;

        var batch = Hl7Parser.ParseBatch(bytes);

        Assert.Equal(expected, batch.Messages.Count());
        Assert.All(batch.Results, r => Assert.Empty(r.Errors));
        Assert.False(batch.HasEnvelope);
        Assert.Equal(bytes, Hl7Writer.ToBytes(batch));
        Assert.Equal(batch.Messages.Count(), batch.Messages.Select(m => m.Header.ControlId).Distinct().Count());
    }

    [Fact]
    public void Single_message_parse_reports_the_extra_messages()
    {
        var bytes = Hl7Corpus.Read("batches/cdc-data-exchange-hl7/GenV1_Batch_No_headers_twoMSH.hl7");

        var result = Hl7Parser.Parse(bytes);

        Assert.True(result.Success);
        Assert.Contains(result.Warnings, w => w.Code == Hl7IssueCodes.MultipleMessages);
        Assert.Single(result.Message!.SegmentsOf("MSH"));
    }

    private const string Envelope =
        "FHS|^~\\&|SEND|FAC|RECV|RFAC|20240101000000||||F1\r" +
        "BHS|^~\\&|SEND|FAC|RECV|RFAC|20240101000000||||B1\r" +
        "MSH|^~\\&|SEND|FAC|RECV|RFAC|20240101000000||ADT^A01|M1|P|2.5.1\r" +
        "PID|1||1^^^MRN\r" +
        "MSH|^~\\&|SEND|FAC|RECV|RFAC|20240101000000||ADT^A08|M2|P|2.5.1\r" +
        "PID|1||2^^^MRN\r" +
        "BTS|2\r" +
        "FTS|1\r";

    [Fact]
    public void Fhs_bhs_envelope_is_read_with_its_trailers_and_written_back()
    {
        var batch = Hl7Parser.ParseBatch(Envelope);

        Assert.True(batch.HasEnvelope);
        Assert.Equal("F1", batch.FileHeader!.Field(11).Value);
        Assert.Equal("B1", Assert.Single(batch.BatchHeaders).Field(11).Value);
        Assert.Equal(["M1", "M2"], batch.Messages.Select(m => m.Header.ControlId));
        Assert.Equal(["1", "2"], batch.Messages.Select(m => m.Get("PID-3")));
        Assert.Empty(batch.Issues);
        Assert.Equal(Envelope, Hl7Writer.ToText(batch));
    }

    [Fact]
    public void Wrong_trailer_counts_are_warnings()
    {
        var batch = Hl7Parser.ParseBatch(Envelope.Replace("BTS|2", "BTS|3", StringComparison.Ordinal));

        Assert.Contains(batch.Issues, i => i.Code == Hl7IssueCodes.BatchStructure && i.Location == "BTS");
        Assert.Equal(2, batch.Messages.Count());
    }

    [Fact]
    public void A_broken_message_in_a_batch_is_kept_raw_and_does_not_stop_the_others()
    {
        var text = Envelope.Replace("MSH|^~\\&|SEND|FAC|RECV|RFAC|20240101000000||ADT^A08", "MSH|0000|SEND|FAC|RECV|RFAC|20240101000000||ADT^A08", StringComparison.Ordinal);

        var batch = Hl7Parser.ParseBatch(text);

        Assert.Single(batch.Messages);
        Assert.Single(batch.Results, r => !r.Success);
        Assert.Equal(text, Hl7Writer.ToText(batch));
    }

    [Fact]
    public void Plain_parse_of_a_batch_says_to_use_the_batch_parser()
    {
        var result = Hl7Parser.Parse(Envelope);

        Assert.False(result.Success);
        Assert.Equal(Hl7IssueCodes.Batch, Assert.Single(result.Errors).Code);
    }
}
