using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Meridian.Hl7.Engine.Mllp;

namespace Meridian.Hl7.Engine.Tests.Support;

/// <summary>
/// TEST stand-in for a sender's receiving side on 127.0.0.1: an MLLP listener that records every
/// frame (the application acknowledgments the engine sends back) and answers each with an accept
/// acknowledgment — CE for the first <see cref="RefuseFirst"/> frames (to exercise retries), CA after.
/// </summary>
internal sealed class AckReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private int _seen;

    public AckReceiver(int refuseFirst = 0, int port = 0)
    {
        _listener = new TcpListener(IPAddress.Loopback, port);
        RefuseFirst = refuseFirst;
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public int RefuseFirst { get; }

    public ConcurrentQueue<byte[]> Frames { get; } = new();

    public string Address => "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var tcp = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.Add(ServeAsync(tcp));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient tcp)
    {
        using (tcp)
        {
            var stream = tcp.GetStream();
            var deframer = new MllpDeframer(1 << 20);
            var events = new List<MllpEvent>();
            var buffer = new byte[8192];
            try
            {
                for (var reads = 0; reads < 10_000; reads++)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0)
                    {
                        return;
                    }
                    events.Clear();
                    deframer.Feed(buffer.AsSpan(0, n), events);
                    foreach (var frame in events.Where(e => e.Kind == MllpEventKind.Frame))
                    {
                        var refuse = Interlocked.Increment(ref _seen) <= RefuseFirst;
                        if (!refuse)
                        {
                            Frames.Enqueue(frame.Payload);
                        }
                        var controlId = TestMessages.Field(frame.Payload, "MSH", 10);
                        var answer = $"MSH|^~\\&|SENDER|HOSP|MERIDIAN|MERIDIAN|20240102030405||ACK|R{controlId}|P|2.5.1\rMSA|{(refuse ? "CE" : "CA")}|{controlId}\r";
                        await stream.WriteAsync(MllpFraming.Wrap(Encoding.UTF8.GetBytes(answer)), _stop.Token);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        _stop.Dispose();
    }
}
