namespace Meridian.Subscriptions.Delivery;

/// <summary>Sends text to the websockets bound to a subscription (see <see cref="WebSocketHub"/>).</summary>
public interface IWebSocketNotifier
{
    /// <returns>How many bound sockets took the message (0: nobody is listening, which counts as a failed delivery).</returns>
    Task<int> SendAsync(string tenant, string subscriptionId, string text, CancellationToken cancellationToken);
}
