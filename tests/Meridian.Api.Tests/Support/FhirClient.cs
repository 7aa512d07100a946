using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Meridian.Api.Tests.Support;

/// <summary>A response read once: status, headers, parsed JSON body (null when empty).</summary>
public sealed record Reply(HttpStatusCode Status, HttpResponseHeaders Headers, HttpContentHeaders? ContentHeaders, string Text)
{
    public JsonObject? Json => Text.Length == 0 ? null : JsonNode.Parse(Text) as JsonObject;

    public int Code => (int)Status;

    public string? ETag => Headers.ETag?.ToString();

    public string? Location => Headers.Location?.ToString();

    public string? ContentType => ContentHeaders?.ContentType?.MediaType;

    public string Id => Json!["id"]!.GetValue<string>();

    public override string ToString() => $"{Code}: {Text}";
}

/// <summary>Small HTTP helpers for FHIR calls against a base URL.</summary>
public sealed class FhirClient(HttpClient http, string baseUrl)
{
    public string Base { get; } = baseUrl;

    public Task<Reply> GetAsync(string path, params (string Name, string Value)[] headers) =>
        SendAsync(HttpMethod.Get, path, null, null, headers);

    public Task<Reply> PostAsync(string path, string? body, params (string Name, string Value)[] headers) =>
        SendAsync(HttpMethod.Post, path, body, "application/fhir+json", headers);

    public Task<Reply> PutAsync(string path, string body, params (string Name, string Value)[] headers) =>
        SendAsync(HttpMethod.Put, path, body, "application/fhir+json", headers);

    public Task<Reply> DeleteAsync(string path, params (string Name, string Value)[] headers) =>
        SendAsync(HttpMethod.Delete, path, null, null, headers);

    public Task<Reply> PatchAsync(string path, string body, string contentType, params (string Name, string Value)[] headers) =>
        SendAsync(HttpMethod.Patch, path, body, contentType, headers);

    public async Task<Reply> SendAsync(HttpMethod method, string path, string? body, string? contentType, params (string Name, string Value)[] headers)
    {
        var url = path.StartsWith("http", StringComparison.Ordinal) ? path : path.Length == 0 ? Base : $"{Base}/{path}";
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Accept", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Accept.Clear();
            }
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Reply(response.StatusCode, response.Headers, response.Content.Headers, text);
    }

    /// <summary>Creates a resource and returns the reply, asserting 201.</summary>
    public async Task<Reply> CreateAsync(string json)
    {
        var type = JsonNode.Parse(json)!["resourceType"]!.GetValue<string>();
        var reply = await PostAsync(type, json);
        Assert.True(reply.Code == 201, reply.ToString());
        return reply;
    }
}
