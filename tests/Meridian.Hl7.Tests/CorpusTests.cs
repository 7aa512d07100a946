namespace Meridian.Hl7.Tests;

/// <summary>Every public sample message parses without errors, and writing it back gives the same bytes.</summary>
public sealed class CorpusTests
{
    [Theory]
    [MemberData(nameof(Hl7Corpus.ValidMessageData), MemberType = typeof(Hl7Corpus))]
    public void Parses_without_errors_and_round_trips_byte_for_byte(string file)
    {
        var bytes = Hl7Corpus.Read(file);

        var result = Hl7Parser.Parse(bytes);

        Assert.True(result.Success, $"{file}: {result.ErrorReason}");
        Assert.Empty(result.Errors);
        Assert.Equal(bytes, Hl7Writer.ToBytes(result.Message!));
    }

    [Theory]
    [MemberData(nameof(Hl7Corpus.ValidMessageData), MemberType = typeof(Hl7Corpus))]
    public void Header_names_a_message_type_and_every_segment_is_addressable(string file)
    {
        var message = Hl7Parser.Parse(Hl7Corpus.Read(file)).Message!;

        Assert.Equal("MSH", message.Segments[0].Id);
        Assert.False(string.IsNullOrEmpty(message.Header.MessageType) && message.Header.Segment.Field(9).IsEmpty && !file.Contains("ACK", StringComparison.Ordinal),
            $"{file}: MSH-9 unreadable");
        foreach (var segment in message.Segments)
        {
            // Every field's repetitions, components and subcomponents can be walked and decoded.
            foreach (var field in segment.Fields)
            {
                foreach (var rep in field.Repetitions)
                {
                    foreach (var component in rep.Components)
                    {
                        _ = component.Subcomponents.Select(s => s.Value).ToList();
                    }
                }
            }
        }
    }

    [Fact]
    public void Normalized_output_uses_CR_between_segments_and_nothing_else()
    {
        var bytes = Hl7Corpus.Read("edge-cases/rethinkhealth-hl7v2/edge-crlf-line-endings.hl7");
        var message = Hl7Parser.Parse(bytes).Message!;

        var text = Hl7Writer.ToText(message, normalize: true);

        Assert.DoesNotContain('\n', text);
        Assert.Equal(message.Segments.Length, text.Count(c => c == '\r'));
        Assert.Equal(Hl7Parser.Parse(text).Message!.Segments.Select(s => s.Raw), message.Segments.Select(s => s.Raw));
    }
}
