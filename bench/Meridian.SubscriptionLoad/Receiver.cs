using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meridian.SubscriptionLoad;

/// <summary>
/// The rest-hook receiver: minimal Kestrel on 127.0.0.1. Each subscription k posts to
/// <c>/hook/{k}</c>; with a full payload the server PUTs <c>/hook/{k}/{type}/{id}</c> with the
/// event's version, whose <c>meta.lastUpdated</c> is the commit time. Latency is receive time
/// minus that. Notifications are keyed by (k, type/id, versionId), so a retried notification is
/// counted once (and as a duplicate).
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<(int Sub, string Resource), double> _received = new();
    private long _duplicates;
    private long _unparsed;

    private Receiver(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public int Count => _received.Count;

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Unparsed => Interlocked.Read(ref _unparsed);

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.MapPut("/hook/{k:int}/{type}/{id}", (int k, string type, string id, HttpRequest request) => receiver.OnPutAsync(k, type + "/" + id, request));
        app.MapPost("/hook/{k:int}", (int k) =>
        {
            Interlocked.Increment(ref receiver._unparsed);
            return Results.Ok();
        });
        await app.StartAsync().ConfigureAwait(false);
        receiver.BaseUrl = app.Urls.First();
        return receiver;
    }

    private async Task<IResult> OnPutAsync(int k, string resource, HttpRequest request)
    {
        var now = DateTimeOffset.UtcNow;
        using var doc = await JsonDocument.ParseAsync(request.Body).ConfigureAwait(false);
        if (!doc.RootElement.TryGetProperty("meta", out var meta) || !meta.TryGetProperty("lastUpdated", out var lu) || !lu.TryGetDateTimeOffset(out var committed))
        {
            Interlocked.Increment(ref _unparsed);
            return Results.Ok();
        }
        if (!_received.TryAdd((k, resource), (now - committed).TotalMilliseconds))
        {
            Interlocked.Increment(ref _duplicates);
        }
        return Results.Ok();
    }

    public bool Has(int sub, string resource) => _received.ContainsKey((sub, resource));

    /// <summary>Commit-to-delivery latencies (ms) of every distinct notification received so far.</summary>
    public double[] Latencies() => [.. _received.Values];

    public void Reset()
    {
        _received.Clear();
        Interlocked.Exchange(ref _duplicates, 0);
        Interlocked.Exchange(ref _unparsed, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    internal static Stopwatch Clock() => Stopwatch.StartNew();
}
