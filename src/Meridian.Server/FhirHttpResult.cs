using System.Globalization;
using Meridian.Api;
using Microsoft.AspNetCore.Http;

namespace Meridian.Server;

/// <summary><see cref="FhirResponse"/> → HTTP: status, FHIR headers, JSON body.</summary>
internal sealed class FhirHttpResult(FhirResponse response) : IResult
{
    public const string FhirJson = "application/fhir+json; charset=utf-8";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var http = httpContext.Response;
        http.StatusCode = response.Status;
        if (response.ETag is not null)
        {
            http.Headers.ETag = response.ETag;
        }
        if (response.LastModified is { } lm)
        {
            http.Headers.LastModified = lm.ToUniversalTime().ToString("R", CultureInfo.InvariantCulture);
        }
        if (response.Location is not null)
        {
            http.Headers.Location = response.Location;
        }
        if (response.ContentLocation is not null)
        {
            http.Headers.ContentLocation = response.ContentLocation;
        }
        if (response.Authorization?.Outcome == Meridian.Api.Authorization.AuthorizationOutcome.BreakGlass)
        {
            http.Headers[Meridian.Api.Authorization.BreakGlass.Header] = Meridian.Api.Authorization.BreakGlass.Granted;
        }
        if (response.RetryAfter is { } retryAfter)
        {
            http.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        if (response.Status == 405)
        {
            http.Headers.Allow = "GET, POST, PUT, PATCH, DELETE";
        }
        if (!response.Body.IsEmpty && httpContext.Request.Method != "HEAD")
        {
            http.ContentType = response.ContentType ?? FhirJson;
            http.ContentLength = response.Body.Length;
            await http.Body.WriteAsync(response.Body, httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
