using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Meridian.Hl7.Engine.Mllp;

/// <summary>
/// The MLLP server: accepts TCP connections (TLS when a certificate is given), at most
/// <see cref="Hl7EngineOptions.MaxConnections"/> at once, and serves each with an
/// <see cref="MllpConnection"/>: frames in, one acknowledgment out per frame, in order.
/// </summary>
public sealed class MllpListener : IAsyncDisposable
{
    private readonly Hl7Receiver _receiver;
    private readonly Hl7EngineOptions _options;
    private readonly X509Certificate2? _certificate;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots;
    private readonly HashSet<Task> _connections = [];
    private readonly Lock _lock = new();
    private Task? _accept;

    public MllpListener(Hl7Receiver receiver, Hl7EngineOptions options, X509Certificate2? certificate = null)
    {
        _receiver = receiver ?? throw new ArgumentNullException(nameof(receiver));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _certificate = certificate;
        _slots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
        _listener = new TcpListener(IPAddress.Parse(options.MllpHost), options.MllpPort ?? 0);
    }

    /// <summary>The bound endpoint (port 0 resolved) once started.</summary>
    public IPEndPoint LocalEndpoint => (IPEndPoint)_listener.LocalEndpoint;

    public bool IsTls => _certificate is not null;

    public void Start()
    {
        _listener.Start(backlog: 512);
        using (ExecutionContext.SuppressFlow())
        {
            _accept = Task.Run(AcceptLoopAsync);
        }
    }

    private async Task AcceptLoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _slots.WaitAsync(ct).ConfigureAwait(false);
                var client = await _listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
                var task = ServeAsync(client, ct);
                lock (_lock)
                {
                    _connections.Add(task);
                }
                _ = task.ContinueWith(t =>
                {
                    lock (_lock)
                    {
                        _connections.Remove(t);
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                _slots.Release(); // a connection that died in the backlog; keep accepting
            }
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            using (client)
            {
                client.NoDelay = true;
                var remote = (client.Client.RemoteEndPoint as IPEndPoint)?.Address.ToString();
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    using var handshake = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    handshake.CancelAfter(TimeSpan.FromSeconds(30));
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, handshake.Token).ConfigureAwait(false);
                    stream = tls;
                }
                await using (stream.ConfigureAwait(false))
                {
                    await new MllpConnection(stream, _receiver, _options, Hl7Origin.Mllp(remote)).RunAsync(ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
        {
            // The peer went away, timed out or failed the TLS handshake: nothing was acknowledged
            // that is not stored.
        }
        finally
        {
            _slots.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        if (_accept is not null)
        {
            await _accept.ConfigureAwait(false);
        }
        Task[] open;
        lock (_lock)
        {
            open = [.. _connections];
        }
        await Task.WhenAll(open).ConfigureAwait(false);
        _stop.Dispose();
        _slots.Dispose();
    }
}
