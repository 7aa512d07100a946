using Meridian.Fhir.Outcomes;

namespace Meridian.Api.Internal;

/// <summary>
/// Meridian speaks FHIR JSON only: a request that accepts nothing but XML (or another format)
/// gets 406, a body in another format 415. <c>_format</c> overrides <c>Accept</c> as the spec says.
/// </summary>
internal static class ContentNegotiation
{
    public static FhirResponse? Check(FhirRequest request)
    {
        var format = request.QueryValue("_format");
        if (format is not null)
        {
            if (!IsJson(format) && format is not ("json" or "text/json"))
            {
                return FhirResponse.Error(406, IssueType.NotSupported, $"_format '{format}' is not supported; this server returns FHIR JSON only.");
            }
        }
        else if (!AcceptsJson(request.Headers.Accept))
        {
            return FhirResponse.Error(406, IssueType.NotSupported, $"Cannot produce any of '{request.Headers.Accept}'; this server returns application/fhir+json.");
        }
        if (!request.Body.IsEmpty && request.Method is "POST" or "PUT" or "PATCH")
        {
            var ct = MediaType(request.Headers.ContentType);
            var ok = ct is null || IsJson(ct)
                || (request.Method == "PATCH" && ct == "application/json-patch+json")
                || (request.Method == "POST" && ct == "application/x-www-form-urlencoded" && request.Path.TrimEnd('/').EndsWith("_search", StringComparison.Ordinal));
            if (!ok)
            {
                return FhirResponse.Error(415, IssueType.NotSupported, $"Content type '{request.Headers.ContentType}' is not supported; send application/fhir+json.");
            }
        }
        return null;
    }

    /// <summary>The media type without parameters, lower case (null when absent).</summary>
    public static string? MediaType(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }
        var semi = header.IndexOf(';');
        return (semi < 0 ? header : header[..semi]).Trim().ToLowerInvariant();
    }

    private static bool IsJson(string mediaType) =>
        mediaType is "application/fhir+json" or "application/json" or "application/json+fhir";

    private static bool AcceptsJson(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept))
        {
            return true;
        }
        foreach (var part in accept.Split(','))
        {
            var mt = MediaType(part);
            if (mt is null || mt is "*/*" or "application/*" || IsJson(mt) || mt == "text/json")
            {
                return true;
            }
        }
        return false;
    }
}
