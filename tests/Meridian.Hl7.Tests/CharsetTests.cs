using System.Text;

namespace Meridian.Hl7.Tests;

public sealed class CharsetTests
{
    private static string Msh(string charset) => $"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1||||||{charset}\r";

    private static byte[] Bytes(string charset, string pid, Encoding encoding) => encoding.GetBytes(Msh(charset) + pid + "\r");

    [Fact]
    public void Latin1_declared_in_msh18_decodes_8bit_bytes()
    {
        var bytes = Bytes("8859/1", "PID|1||1||MÜLLER^JOSÉ", Encoding.Latin1);

        var result = Hl7Parser.Parse(bytes);

        Assert.Equal("MÜLLER", result.Message!.Get("PID-5.1"));
        Assert.Equal("JOSÉ", result.Message.Get("PID-5.2"));
        Assert.Empty(result.Warnings);
        Assert.Equal(bytes, Hl7Writer.ToBytes(result.Message));
    }

    [Fact]
    public void Utf8_declared_or_by_default_decodes_multibyte_text()
    {
        foreach (var charset in new[] { "UNICODE UTF-8", "" })
        {
            var bytes = Bytes(charset, "PID|1||1||Straße^Zoë~李^小龙", Encoding.UTF8);

            var message = Hl7Parser.Parse(bytes).Message!;

            Assert.Equal("Straße", message.Get("PID-5.1"));
            Assert.Equal("李", message.Get("PID-5[2].1"));
            Assert.Equal(bytes, Hl7Writer.ToBytes(message));
        }
    }

    [Fact]
    public void Latin2_is_decoded_with_its_own_code_page()
    {
        var latin2 = CodePagesEncodingProvider.Instance.GetEncoding(28592)!;
        var bytes = Bytes("8859/2", "PID|1||1||Łukasiewicz^Paweł", latin2);

        var message = Hl7Parser.Parse(bytes).Message!;

        Assert.Equal("Łukasiewicz", message.Get("PID-5.1"));
        Assert.Equal(bytes, Hl7Writer.ToBytes(message));
    }

    [Fact]
    public void Utf16_is_recognised_from_its_bytes()
    {
        var bytes = Bytes("UNICODE UTF-16", "PID|1||1||Ωmega", Encoding.Unicode);

        var message = Hl7Parser.Parse(bytes).Message!;

        Assert.Equal("Ωmega", message.Get("PID-5.1"));
        Assert.Equal(bytes, Hl7Writer.ToBytes(message));
    }

    [Fact]
    public void Bytes_invalid_for_the_declared_set_fall_back_to_latin1_with_a_warning_and_still_round_trip()
    {
        var bytes = Bytes("UNICODE UTF-8", "PID|1||1||M\u00fcller", Encoding.Latin1);

        var result = Hl7Parser.Parse(bytes);

        Assert.Contains(result.Warnings, w => w.Code == Hl7IssueCodes.Charset);
        Assert.Equal("Müller", result.Message!.Get("PID-5.1"));
        Assert.Equal(bytes, Hl7Writer.ToBytes(result.Message));
    }

    [Fact]
    public void Ascii_declared_but_utf8_sent_is_read_as_utf8_with_a_warning()
    {
        var bytes = Bytes("ASCII", "PID|1||1||Zoë", Encoding.UTF8);

        var result = Hl7Parser.Parse(bytes);

        Assert.Equal("Zoë", result.Message!.Get("PID-5.1"));
        Assert.Contains(result.Warnings, w => w.Code == Hl7IssueCodes.Charset);
    }

    [Fact]
    public void Fallback_encoding_applies_when_msh18_is_empty_and_unknown_codes_are_warned()
    {
        var latin = Bytes("", "PID|1||1||Müller", Encoding.Latin1);
        Assert.Equal("Müller", Hl7Parser.Parse(latin, Encoding.Latin1).Message!.Get("PID-5.1"));

        var unknown = Hl7Parser.Parse(Bytes("KLINGON", "PID|1", Encoding.ASCII));
        Assert.Contains(unknown.Warnings, w => w.Code == Hl7IssueCodes.Charset && w.Location == "MSH-18");
    }

    [Fact]
    public void Utf8_bom_and_mllp_framing_are_kept_as_leading_characters()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF, 0x0B }.Concat(Bytes("", "PID|1", Encoding.UTF8)).Concat(new byte[] { 0x1C, 0x0D }).ToArray();

        var result = Hl7Parser.Parse(bytes);

        Assert.True(result.Success);
        Assert.Contains(result.Warnings, w => w.Code == Hl7IssueCodes.LeadingJunk);
        Assert.Equal(bytes, Hl7Writer.ToBytes(result.Message!));
        Assert.Equal(Msh("") + "PID|1\r", Hl7Writer.ToText(result.Message!, normalize: true));
    }

    [Fact]
    public void Every_code_of_table_0211_that_the_platform_supports_maps_to_an_encoding()
    {
        foreach (var code in new[] { "ASCII", "8859/1", "8859/2", "8859/5", "8859/7", "8859/9", "8859/15", "UNICODE UTF-8", "UNICODE UTF-16", "ISO IR87", "GB 18030-2000", "KS X 1001", "BIG-5" })
        {
            Assert.NotNull(Hl7Charsets.ForCode(code));
        }
        Assert.Null(Hl7Charsets.ForCode("CNS 11643-1992"));
    }
}
