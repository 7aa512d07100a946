namespace Meridian.Hl7.Engine.Mllp;

/// <summary>
/// One MLLP conversation: reads frames as they arrive (any split or merge of TCP reads),
/// answers each with its acknowledgment in order, closes after
/// <see cref="Hl7EngineOptions.IdleTimeout"/> of silence. A frame's acknowledgment is written
/// only after the receiver has committed (or refused) it.
/// </summary>
internal sealed class MllpConnection(Stream stream, Hl7Receiver receiver, Hl7EngineOptions options, Hl7Origin origin)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var deframer = new MllpDeframer(options.MaxFrameBytes);
        var buffer = new byte[64 * 1024];
        var events = new List<MllpEvent>();
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (true)
        {
            idle.CancelAfter(options.IdleTimeout);
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return; // idle timeout
            }
            if (read == 0)
            {
                return; // the peer closed; a partial frame was never acknowledged
            }
            events.Clear();
            deframer.Feed(buffer.AsSpan(0, read), events);
            // Frames that arrived together (a pipelining sender) are received concurrently, so they
            // share a group commit; their acknowledgments still go out in frame order.
            var receipts = new List<Task<Hl7Receipt>>(events.Count);
            foreach (var e in events)
            {
                if (e.Kind == MllpEventKind.Frame)
                {
                    receipts.Add(receiver.ReceiveAsync(e.Payload, origin, ct));
                }
                else if (e.Kind == MllpEventKind.Oversize)
                {
                    receipts.Add(receiver.RejectOversizeAsync(e.Payload, e.DiscardedBytes, origin, ct));
                }
                // Garbage between frames is skipped.
            }
            foreach (var receipt in receipts)
            {
                var ack = (await receipt.ConfigureAwait(false)).AckBytes;
                await stream.WriteAsync(MllpFraming.Wrap(ack), ct).ConfigureAwait(false);
            }
            if (receipts.Count > 0)
            {
                await stream.FlushAsync(ct).ConfigureAwait(false);
            }
        }
    }
}
