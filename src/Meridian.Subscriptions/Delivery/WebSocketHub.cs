using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net.WebSockets;
using System.Text;

namespace Meridian.Subscriptions.Delivery;

/// <summary>
/// The R4 websocket channel: a client opens a socket, sends <c>bind-with-id: {id}</c> for a
/// websocket Subscription it may read, gets <c>bound {id}</c>, then <c>ping {id}</c> for each
/// event (backport subscriptions get the notification Bundle as text instead). Sockets are
/// kept per (tenant, subscription); a socket that fails a send is dropped.
/// </summary>
public sealed class WebSocketHub : IWebSocketNotifier
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), ImmutableList<Bound>> _bound = new();

    private sealed class Bound(WebSocket socket)
    {
        public WebSocket Socket { get; } = socket;
        public SemaphoreSlim SendLock { get; } = new(1, 1);
    }

    /// <summary>Serves one socket until it closes. <paramref name="mayBind"/> says whether this
    /// connection's caller may bind to a subscription id (it must be a websocket subscription it can read).</summary>
    public Task RunAsync(WebSocket socket, string tenant, Func<string, CancellationToken, Task<bool>> mayBind, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(mayBind);
        return RunAsync(socket, tenant, async (id, t) => await mayBind(id, t).ConfigureAwait(false) ? [id] : (IReadOnlyList<string>)[], ct);
    }

    /// <summary>Serves one socket until it closes. <paramref name="resolve"/> turns what follows
    /// <c>bind-with-id:</c> (a subscription id, or a <c>$get-ws-binding-token</c> token) into the
    /// subscription ids this connection may bind; none means refused.</summary>
    public async Task RunAsync(WebSocket socket, string tenant, Func<string, CancellationToken, Task<IReadOnlyList<string>>> resolve, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(resolve);
        var me = new Bound(socket);
        var boundIds = new List<string>();
        var buffer = new byte[4096];
        try
        {
            while (socket.State == WebSocketState.Open && !ct.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Complete the close handshake (under the send lock: a ping may be in flight).
                    await me.SendLock.WaitAsync(ct).ConfigureAwait(false);
                    try
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "closing", ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        me.SendLock.Release();
                    }
                    break;
                }
                var text = Encoding.UTF8.GetString(buffer, 0, result.Count).Trim();
                const string Bind = "bind-with-id:";
                if (!text.StartsWith(Bind, StringComparison.OrdinalIgnoreCase))
                {
                    await SendAsync(me, "error unknown command", ct).ConfigureAwait(false);
                    continue;
                }
                var id = text[Bind.Length..].Trim();
                var ids = id.Length == 0 ? [] : await resolve(id, ct).ConfigureAwait(false);
                if (ids.Count == 0)
                {
                    await SendAsync(me, "error " + id, ct).ConfigureAwait(false);
                    continue;
                }
                foreach (var each in ids)
                {
                    _bound.AddOrUpdate((tenant, each), _ => [me], (_, list) => list.Add(me));
                    boundIds.Add(each);
                    await SendAsync(me, "bound " + each, ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client went away or the server is stopping.
        }
        finally
        {
            foreach (var id in boundIds)
            {
                _bound.AddOrUpdate((tenant, id), _ => [], (_, list) => list.Remove(me));
            }
        }
    }

    public async Task<int> SendAsync(string tenant, string subscriptionId, string text, CancellationToken cancellationToken)
    {
        if (!_bound.TryGetValue((tenant, subscriptionId), out var sockets))
        {
            return 0;
        }
        var sent = 0;
        foreach (var b in sockets)
        {
            if (await SendAsync(b, text, cancellationToken).ConfigureAwait(false))
            {
                sent++;
            }
            else
            {
                _bound.AddOrUpdate((tenant, subscriptionId), _ => [], (_, list) => list.Remove(b));
            }
        }
        return sent;
    }

    private static async Task<bool> SendAsync(Bound b, string text, CancellationToken ct)
    {
        await b.SendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (b.Socket.State != WebSocketState.Open)
            {
                return false;
            }
            await b.Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, ct).ConfigureAwait(false);
            return true;
        }
        catch (WebSocketException)
        {
            return false;
        }
        finally
        {
            b.SendLock.Release();
        }
    }
}
