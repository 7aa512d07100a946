using Microsoft.AspNetCore.Http;

namespace Meridian.Server.Limits;

/// <summary>
/// Whose bucket a request spends: the authenticated client, else the remote address. Only
/// verified identities count — a client id read from an unverified token would let an abuser
/// pick a fresh bucket per request.
/// </summary>
public static class ClientPartition
{
    /// <summary>
    /// The seam for the authentication layer: a middleware that has verified the caller (before
    /// the rate limiter runs) sets <c>HttpContext.Items[ClientIdItem]</c> to the client id, or
    /// signs in a <see cref="System.Security.Claims.ClaimsPrincipal"/> with a <c>client_id</c>,
    /// <c>azp</c> or <c>sub</c> claim.
    /// </summary>
    public const string ClientIdItem = "Meridian.ClientId";

    public static string Of(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items.TryGetValue(ClientIdItem, out var item) && item is string { Length: > 0 } clientId)
        {
            return "client:" + clientId;
        }
        if (http.User.Identity?.IsAuthenticated == true
            && (http.User.FindFirst("client_id") ?? http.User.FindFirst("azp") ?? http.User.FindFirst("sub")) is { Value.Length: > 0 } claim)
        {
            return "client:" + claim.Value;
        }
        return "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }
}
