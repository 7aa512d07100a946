using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meridian.Hl7.Engine.Mllp;

namespace Meridian.Hl7.Engine.Tests.Support;

/// <summary>
/// TEST stand-in for a sender's receiving side on 127.0.0.1: an MLLP listener that records every
/// frame (the application acknowledgments the engine sends back) and answers each with an accept
/// acknowledgment — CE for the first <see cref="RefuseFirst"/> frames (to exercise retries), CA after.
/// With a certificate it speaks MLLP inside TLS (a failed handshake ends the connection).
/// </summary>
internal sealed class AckReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly X509Certificate2? _certificate;
    private int _seen;
    private int _connections;

    public AckReceiver(int refuseFirst = 0, int port = 0, X509Certificate2? certificate = null)
    {
        _certificate = certificate;
        _listener = new TcpListener(IPAddress.Loopback, port);
        RefuseFirst = refuseFirst;
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public int RefuseFirst { get; }

    public ConcurrentQueue<byte[]> Frames { get; } = new();

    /// <summary>Connections accepted (whether or not a frame followed).</summary>
    public int Connections => Volatile.Read(ref _connections);

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
            Interlocked.Increment(ref _connections);
            Stream stream = tcp.GetStream();
            if (_certificate is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
                {
                    await tls.DisposeAsync();
                    return;
                }
                stream = tls;
            }
            await using var owned = stream;
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
