using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Meridian.Server.Limits;

/// <summary>
/// Enforces the request-line and header limits itself, first in the pipeline, so the refusal is
/// a FHIR answer: 414 or 431 with an OperationOutcome. Kestrel's own limits are set a little
/// higher (<see cref="Backstop"/>) and still guard parsing: a request beyond them never reaches
/// the application and gets Kestrel's bare 414/431. Sizes are counted as on the wire (HTTP/1.1):
/// <c>METHOD SP target SP version CRLF</c>, and <c>name: value CRLF</c> per header.
/// </summary>
internal sealed class RequestShapeMiddleware(RequestDelegate next, LimitsSettings limits, LimitMetrics metrics)
{
    /// <summary>Kestrel's limit for a configured one: a quarter more, at least <paramref name="minimumExtra"/> more.</summary>
    public static int Backstop(int configured, int minimumExtra) => checked(configured + Math.Max(configured / 4, minimumExtra));

    public Task InvokeAsync(HttpContext http)
    {
        var request = http.Request;
        var target = http.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (request.PathBase + request.Path + request.QueryString).ToString();
        var lineSize = request.Method.Length + 1 + target.Length + 1 + request.Protocol.Length + 2;
        if (lineSize > limits.MaxRequestLineSize)
        {
            metrics.Refused("request-line");
            return RefuseAsync(http, StatusCodes.Status414UriTooLong,
                string.Create(CultureInfo.InvariantCulture, $"The request line is {lineSize} bytes; the limit is {limits.MaxRequestLineSize} (Limits:MaxRequestLineSize). Send long searches as POST [type]/_search."));
        }
        var count = 0;
        long total = 0;
        foreach (var header in request.Headers)
        {
            foreach (var value in header.Value)
            {
                count++;
                total += header.Key.Length + 2 + (value?.Length ?? 0) + 2;
            }
        }
        if (count > limits.MaxRequestHeaderCount || total > limits.MaxRequestHeadersTotalSize)
        {
            metrics.Refused("headers");
        }
        if (count > limits.MaxRequestHeaderCount)
        {
            return RefuseAsync(http, StatusCodes.Status431RequestHeaderFieldsTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"The request has {count} headers; the limit is {limits.MaxRequestHeaderCount} (Limits:MaxRequestHeaderCount)."));
        }
        if (total > limits.MaxRequestHeadersTotalSize)
        {
            return RefuseAsync(http, StatusCodes.Status431RequestHeaderFieldsTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"The request headers are {total} bytes; the limit is {limits.MaxRequestHeadersTotalSize} (Limits:MaxRequestHeadersTotalSize)."));
        }
        return next(http);
    }

    private static Task RefuseAsync(HttpContext http, int status, string message)
    {
        // The connection may hold more oversized requests: close it after this answer.
        http.Response.Headers.Connection = "close";
        return ServerLimits.WriteOutcomeAsync(http, status, "too-costly", message, http.RequestAborted);
    }
}
