using System.Net.Http.Headers;

namespace Meridian.Subscriptions.Delivery;

/// <summary>Puts one <see cref="OutgoingMessage"/> on the wire: HTTP for rest-hooks, the hub for websockets.</summary>
public sealed class ChannelSender(HttpClient http, IWebSocketNotifier? websockets)
{
    public async ValueTask<SendResult> SendAsync(string tenant, string subscriptionId, OutgoingMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Text is not null)
        {
            if (websockets is null)
            {
                return SendResult.Failed("websocket channel is not hosted by this server");
            }
            var sent = await websockets.SendAsync(tenant, subscriptionId, message.Text, ct).ConfigureAwait(false);
            return sent > 0 ? SendResult.Success : SendResult.Failed("no websocket is bound to the subscription");
        }
        using var request = new HttpRequestMessage(new HttpMethod(message.Method), message.Url);
        if (!message.Body.IsEmpty || message.Method is "POST" or "PUT")
        {
            request.Content = new ReadOnlyMemoryContent(message.Body);
            if (message.ContentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(message.ContentType);
            }
        }
        foreach (var (name, value) in message.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? SendResult.Success
                : SendResult.Failed($"HTTP {(int)response.StatusCode} from {message.Url?.GetLeftPart(UriPartial.Path)}");
        }
        catch (HttpRequestException ex)
        {
            return SendResult.Failed($"cannot reach {message.Url?.GetLeftPart(UriPartial.Authority)}: {ex.Message}");
        }
    }
}
