namespace Meridian.Hl7.Tests;

public sealed class EscapeTests
{
    private static readonly Hl7Delimiters s_d = Hl7Delimiters.Default;

    [Theory]
    [InlineData(@"a\F\b", "a|b")]
    [InlineData(@"a\S\b\T\c\R\d\E\e", @"a^b&c~d\e")]
    [InlineData(@"line1\.br\line2", "line1\nline2")]
    [InlineData(@"x\.sp2\y", "x\n\ny")]
    [InlineData(@"\H\bold\N\ text", "bold text")]
    [InlineData(@"\X0D0A\", "\r\n")]
    [InlineData(@"caf\XC3A9\", "café")]
    [InlineData(@"caf\XE9\", "café")]
    [InlineData(@"\C2842\ascii", "ascii")]
    [InlineData(@"\.in+4\indent\.fi\", "indent")]
    [InlineData(@"C:\temp\file", @"C:\temp\file")]
    [InlineData(@"unterminated \F", @"unterminated \F")]
    [InlineData(@"\Zvendor\", @"\Zvendor\")]
    [InlineData(@"\Xzz\", @"\Xzz\")]
    [InlineData("", "")]
    public void Decodes_escape_sequences_and_keeps_what_it_does_not_know(string raw, string expected)
    {
        Assert.Equal(expected, Hl7Escape.Decode(raw, s_d));
    }

    [Fact]
    public void Truncation_escape_exists_only_when_declared()
    {
        var v27 = s_d with { Truncation = '#' };

        Assert.Equal("a#b", Hl7Escape.Decode(@"a\P\b", v27));
        Assert.Equal(@"a\P\b", Hl7Escape.Decode(@"a\P\b", s_d));
    }

    [Theory]
    [InlineData("plain")]
    [InlineData(@"a|b^c&d~e\f")]
    [InlineData("two\r\nlines")]
    [InlineData("")]
    public void Encode_then_decode_is_identity_and_never_leaves_a_delimiter(string text)
    {
        var encoded = Hl7Escape.Encode(text, s_d);

        Assert.Equal(text, Hl7Escape.Decode(encoded, s_d));
        Assert.DoesNotContain(encoded, c => c is '|' or '^' or '&' or '~' or '\r' or '\n');
    }

    [Fact]
    public void Custom_delimiters_escape_and_decode_with_their_own_characters()
    {
        var message = Hl7Parser.Parse(Hl7Corpus.Read("edge-cases/rethinkhealth-hl7v2/edge-custom-delimiters.hl7")).Message!;

        Assert.Equal(new Hl7Delimiters('#', '!', '@', '%', '*'), message.Delimiters);
        Assert.Equal("DOE", message.Segment("PID")!.Field(5).Component("family").Value);
        Assert.Equal("JOHN", message.Get("PID-5.2"));
        Assert.Equal("MRN", message.Get("PID-3.4"));
        Assert.Equal("a#b", Hl7Escape.Decode("a%F%b", message.Delimiters));
    }

    [Fact]
    public void Values_are_raw_in_the_model_and_decoded_on_request()
    {
        var message = Hl7Parser.Parse("MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rNTE|1||Line one\\.br\\Q\\T\\A \\F\\ pipe\r").Message!;
        var comment = message.Segment("NTE")!.Field(3);

        Assert.Equal("Line one\\.br\\Q\\T\\A \\F\\ pipe", comment.Raw);
        Assert.Equal("Line one\nQ&A | pipe", comment.Value);
    }
}
