using System.Net.Security;
using System.Net.Sockets;

namespace Meridian.Hl7.Engine.Mllp;

/// <summary>
/// A minimal MLLP client (the <c>meridian hl7 send</c> command, tests, the load harness): one
/// connection, one message at a time, each answered by one acknowledgment frame.
/// </summary>
public sealed class MllpClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly MllpDeframer _deframer;
    private readonly Queue<byte[]> _frames = new();
    private readonly byte[] _buffer = new byte[16 * 1024];
    private readonly List<MllpEvent> _events = [];

    private MllpClient(TcpClient tcp, Stream stream, int maxFrameBytes)
    {
        _tcp = tcp;
        _stream = stream;
        _deframer = new MllpDeframer(maxFrameBytes);
    }

    /// <param name="tls">Connect with TLS; <paramref name="validate"/> decides about the server certificate (null: the system's validation).</param>
    public static Task<MllpClient> ConnectAsync(string host, int port, bool tls = false, RemoteCertificateValidationCallback? validate = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(host, port, tls ? new SslClientAuthenticationOptions { TargetHost = host, RemoteCertificateValidationCallback = validate } : null, cancellationToken);

    /// <param name="tls">TLS settings (server name, trust policy, client certificate); null: plain TCP.</param>
    public static async Task<MllpClient> ConnectAsync(string host, int port, SslClientAuthenticationOptions? tls, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            Stream stream = tcp.GetStream();
            if (tls is not null)
            {
                var ssl = new SslStream(stream, false);
                try
                {
                    await ssl.AuthenticateAsClientAsync(tls, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await ssl.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
                stream = ssl;
            }
            return new MllpClient(tcp, stream, 16 * 1024 * 1024);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends one message and waits for the next frame (its acknowledgment).</summary>
    public async Task<byte[]> SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        await WriteAsync(message, cancellationToken).ConfigureAwait(false);
        return await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends raw bytes as they are (tests: split frames, garbage, pipelining).</summary>
    public async Task WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task WriteAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        WriteRawAsync(MllpFraming.Wrap(message.Span), cancellationToken);

    /// <summary>The next frame from the server; throws <see cref="EndOfStreamException"/> when it closed.</summary>
    public async Task<byte[]> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        while (_frames.Count == 0)
        {
            var read = await _stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException("the server closed the connection before answering");
            }
            _events.Clear();
            _deframer.Feed(_buffer.AsSpan(0, read), _events);
            foreach (var e in _events.Where(e => e.Kind == MllpEventKind.Frame))
            {
                _frames.Enqueue(e.Payload);
            }
        }
        return _frames.Dequeue();
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _tcp.Dispose();
    }
}
