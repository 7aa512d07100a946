using System.Collections.Immutable;
using Meridian.Api;
using Microsoft.AspNetCore.Http;

namespace Meridian.Server;

/// <summary>HTTP request → <see cref="FhirRequest"/>.</summary>
internal static class HttpTranslation
{
    public static FhirRequest ToFhirRequest(HttpRequest http, string tenant, string basePath, string path, ReadOnlyMemory<byte> body)
    {
        var h = http.Headers;
        // HEAD is GET without the body (FhirHttpResult leaves it out).
        return new FhirRequest(http.Method == "HEAD" ? "GET" : http.Method, path)
        {
            Tenant = tenant,
            BaseUrl = $"{http.Scheme}://{http.Host}{http.PathBase}{basePath}",
            Query = Query(http.QueryString.Value),
            Body = body,
            Headers = new FhirRequestHeaders
            {
                ContentType = http.ContentType,
                Accept = Header(h.Accept),
                IfMatch = Header(h.IfMatch),
                IfNoneMatch = Header(h.IfNoneMatch),
                IfNoneExist = Header(h["If-None-Exist"]),
                IfModifiedSince = Header(h.IfModifiedSince),
                Prefer = Header(h["Prefer"]),
            },
        };
    }

    private static string? Header(Microsoft.Extensions.Primitives.StringValues v) => v.Count == 0 ? null : v.ToString();

    /// <summary>The raw query string in order (repeated parameters are AND in FHIR, order kept for links).</summary>
    private static ImmutableArray<KeyValuePair<string, string>> Query(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return [];
        }
        var result = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        foreach (var part in raw.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            result.Add(new(Uri.UnescapeDataString(key.Replace('+', ' ')), Uri.UnescapeDataString(value.Replace('+', ' '))));
        }
        return result.ToImmutable();
    }
}

/// <summary>Reads the request body, refusing more than the configured limit.</summary>
internal static class HttpBody
{
    /// <returns>The body, or null when it is larger than <paramref name="max"/>.</returns>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, long max, CancellationToken ct)
    {
        if (request.ContentLength is { } declared)
        {
            if (declared > max)
            {
                return null;
            }
            if (declared == 0)
            {
                return ReadOnlyMemory<byte>.Empty;
            }
        }
        using var buffer = new MemoryStream(request.ContentLength is { } n ? (int)n : 4096);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
