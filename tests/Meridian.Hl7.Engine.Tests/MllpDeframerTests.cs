using System.Text;
using Meridian.Hl7.Engine.Mllp;

namespace Meridian.Hl7.Engine.Tests;

public sealed class MllpDeframerTests
{
    private static byte[] Frame(string payload) => MllpFraming.Wrap(Encoding.ASCII.GetBytes(payload));

    private static List<MllpEvent> FeedInChunks(MllpDeframer deframer, byte[] bytes, int chunk)
    {
        var events = new List<MllpEvent>();
        for (var i = 0; i < bytes.Length; i += chunk)
        {
            deframer.Feed(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)), events);
        }
        return events;
    }

    private static string[] Frames(List<MllpEvent> events) =>
        [.. events.Where(e => e.Kind == MllpEventKind.Frame).Select(e => Encoding.ASCII.GetString(e.Payload))];

    [Fact]
    public void One_frame_yields_its_payload_without_the_envelope()
    {
        var events = FeedInChunks(new MllpDeframer(1024), Frame("MSH|a\rPID|b\r"), 1000);
        Assert.Equal(["MSH|a\rPID|b\r"], Frames(events));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(64)]
    public void Frames_split_and_merged_across_reads_come_out_whole_and_in_order(int chunk)
    {
        var bytes = Frame("first").Concat(Frame("second")).Concat(Frame("third message")).ToArray();
        var events = FeedInChunks(new MllpDeframer(1024), bytes, chunk);
        Assert.Equal(["first", "second", "third message"], Frames(events));
        Assert.DoesNotContain(events, e => e.Kind != MllpEventKind.Frame);
    }

    [Fact]
    public void Bytes_between_frames_are_reported_as_garbage_and_skipped()
    {
        var bytes = Encoding.ASCII.GetBytes("noise\r\n").Concat(Frame("a")).Concat(Encoding.ASCII.GetBytes("\n\n")).Concat(Frame("b")).ToArray();
        var events = FeedInChunks(new MllpDeframer(1024), bytes, 3);
        Assert.Equal(["a", "b"], Frames(events));
        Assert.Equal(9, events.Where(e => e.Kind == MllpEventKind.Garbage).Sum(e => e.DiscardedBytes));
    }

    [Fact]
    public void An_oversize_frame_is_reported_once_with_its_head_and_the_next_frame_still_arrives()
    {
        var big = "MSH|" + new string('x', 5000);
        var events = FeedInChunks(new MllpDeframer(1024), Frame(big).Concat(Frame("small")).ToArray(), 100);
        var oversize = Assert.Single(events, e => e.Kind == MllpEventKind.Oversize);
        Assert.StartsWith("MSH|xxx", Encoding.ASCII.GetString(oversize.Payload), StringComparison.Ordinal);
        Assert.Equal(1024, oversize.Payload.Length);
        Assert.True(oversize.DiscardedBytes >= big.Length);
        Assert.Equal(["small"], Frames(events));
    }

    [Fact]
    public void A_frame_exactly_at_the_limit_is_accepted()
    {
        var payload = new string('y', 1024);
        Assert.Equal([payload], Frames(FeedInChunks(new MllpDeframer(1024), Frame(payload), 50)));
    }

    [Fact]
    public void A_start_block_inside_a_frame_abandons_the_partial_frame()
    {
        var bytes = new byte[] { MllpFraming.StartBlock }.Concat(Encoding.ASCII.GetBytes("lost")).Concat(Frame("kept")).ToArray();
        var events = FeedInChunks(new MllpDeframer(1024), bytes, 2);
        Assert.Equal(["kept"], Frames(events));
        Assert.Contains(events, e => e.Kind == MllpEventKind.Garbage);
    }

    [Fact]
    public void An_end_block_without_carriage_return_ends_the_frame_when_the_next_one_starts()
    {
        var bytes = new byte[] { MllpFraming.StartBlock, (byte)'a', MllpFraming.EndBlock }.Concat(Frame("b")).ToArray();
        Assert.Equal(["a", "b"], Frames(FeedInChunks(new MllpDeframer(1024), bytes, 1)));
    }

    [Fact]
    public void A_lone_end_block_inside_the_payload_is_kept_as_data()
    {
        var bytes = new byte[] { MllpFraming.StartBlock, (byte)'a', MllpFraming.EndBlock, (byte)'b', MllpFraming.EndBlock, MllpFraming.CarriageReturn };
        var frame = Assert.Single(FeedInChunks(new MllpDeframer(1024), bytes, 1));
        Assert.Equal(new byte[] { (byte)'a', MllpFraming.EndBlock, (byte)'b' }, frame.Payload);
    }

    [Fact]
    public void A_partial_frame_is_held_until_it_completes()
    {
        var deframer = new MllpDeframer(1024);
        var events = new List<MllpEvent>();
        var bytes = Frame("pending");
        deframer.Feed(bytes.AsSpan(0, bytes.Length - 1), events);
        Assert.Empty(events);
        Assert.True(deframer.InFrame);
        deframer.Feed(bytes.AsSpan(bytes.Length - 1), events);
        Assert.Equal(["pending"], Frames(events));
        Assert.False(deframer.InFrame);
    }

    [Fact]
    public void Wrap_puts_the_envelope_around_the_payload()
    {
        Assert.Equal(new byte[] { 0x0B, (byte)'x', 0x1C, 0x0D }, MllpFraming.Wrap("x"u8));
    }
}
