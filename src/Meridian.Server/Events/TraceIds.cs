using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Meridian.Server.Events;

/// <summary>
/// The W3C trace id of an HTTP request, recorded on every change row the request writes (and
/// so on every event): the request's Activity (ASP.NET Core continues the caller's
/// <c>traceparent</c>), or the <c>traceparent</c> header itself when no Activity runs.
/// </summary>
public static class TraceIds
{
    public static string? For(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity && activity.TraceId != default)
        {
            return activity.TraceId.ToHexString();
        }
        return FromTraceparent(http.Request.Headers["traceparent"].ToString());
    }

    /// <summary>The trace id of a <c>traceparent</c> header (<c>00-{32 hex}-{16 hex}-{2 hex}</c>), or null.</summary>
    public static string? FromTraceparent(string? header)
    {
        var parts = header?.Trim().Split('-');
        if (parts is not { Length: >= 4 } || parts[0].Length != 2 || parts[0] == "ff" || parts[1].Length != 32 || parts[2].Length != 16)
        {
            return null;
        }
        var id = parts[1];
        return id.All(char.IsAsciiHexDigitLower) && id.Any(c => c != '0') ? id : null;
    }
}
