using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Meridian.Identity.Http;

/// <summary>JSON answers of the authorization server (RFC 6749 §5), never cached.</summary>
internal static class OAuthResults
{
    public static IResult Error(AuthError error, int? status = null)
    {
        var code = status ?? (error.Code == "invalid_client" ? 401 : 400);
        return new JsonBody(code, w =>
        {
            w.WriteString("error", error.Code);
            w.WriteString("error_description", error.Description);
        });
    }

    public static IResult Error(string code, string description, int? status = null) => Error(new AuthError(code, description), status);

    public static IResult Json(Action<Utf8JsonWriter> body) => new JsonBody(200, body);

    /// <summary>A JSON object written straight to the response with <c>Cache-Control: no-store</c>.</summary>
    private sealed class JsonBody(int status, Action<Utf8JsonWriter> body) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            response.Headers.Pragma = "no-cache";
            if (status == 401)
            {
                response.Headers.WWWAuthenticate = "Basic realm=\"meridian\"";
            }
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            }
            await response.Body.WriteAsync(buffer.ToArray(), httpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    public static void WriteArray(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }
}
