using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meridian.Subscriptions.Tests;

/// <summary>One request a receiver got.</summary>
public sealed record Received(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Body);

    public long? EventNumber => Headers.TryGetValue("X-Meridian-Event-Number", out var n) ? long.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>
/// A rest-hook endpoint on 127.0.0.1 (Kestrel): records every request per path prefix
/// (<c>/hook/{name}/…</c>). A name can be made to hang (never answer until disposed) or to fail
/// chosen attempts with 500, to play the failing and hanging endpoints of the tests.
/// </summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Received>> _got = new();
    private readonly ConcurrentDictionary<string, byte> _hanging = new();
    private readonly ConcurrentDictionary<string, Func<Received, int, bool>> _failWhen = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly CancellationTokenSource _stop = new();
    private int _inFlightHanging;

    private Receiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public int HangingNow => Volatile.Read(ref _inFlightHanging);

    public string Url(string name) => $"http://127.0.0.1:{Port}/hook/{name}";

    /// <summary>A port nothing listens on (yet): an endpoint that is down.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static async Task<Receiver> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        Receiver? self = null;
        app.Run(async http =>
        {
            await self!.HandleAsync(http);
        });
        await app.StartAsync();
        var address = app.Urls.First();
        self = new Receiver(app, new Uri(address).Port);
        return self;
    }

    public void Hang(string name) => _hanging[name] = 0;

    public void Unhang(string name) => _hanging.TryRemove(name, out _);

    /// <summary>Answer 500 when <paramref name="fail"/>(request, attempt number of this name from 1) says so.</summary>
    public void FailWhen(string name, Func<Received, int, bool> fail) => _failWhen[name] = fail;

    public IReadOnlyList<Received> Got(string name) => _got.TryGetValue(name, out var q) ? [.. q] : [];

    private async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "";
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var name = parts.Length >= 2 ? parts[1] : "";
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var received = new Received(http.Request.Method, path, headers, body.ToArray());
        if (_hanging.ContainsKey(name))
        {
            Interlocked.Increment(ref _inFlightHanging);
            try
            {
                await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, http.RequestAborted).Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlightHanging);
            }
            return;
        }
        var attempt = _attempts.AddOrUpdate(name, 1, (_, n) => n + 1);
        _got.GetOrAdd(name, _ => new ConcurrentQueue<Received>()).Enqueue(received);
        http.Response.StatusCode = _failWhen.TryGetValue(name, out var fail) && fail(received, attempt) ? 500 : 200;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stop.Dispose();
    }
}
