using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meridian.Identity.Jose;

namespace Meridian.Identity.Tests.Support;

/// <summary>Speaks OAuth to the fixture's server the way an outside client would.</summary>
internal static class OAuth
{
    public const string JwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    public static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, string url, IEnumerable<KeyValuePair<string, string>> form, AuthenticationHeaderValue? auth = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = auth;
        return await http.SendAsync(request);
    }

    public static AuthenticationHeaderValue Basic(string id, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(id) + ":" + Uri.EscapeDataString(secret))));

    /// <summary>A SMART Backend Services client assertion.</summary>
    public static string Assertion(JsonWebKey key, string clientId, string tokenUrl, TimeSpan? lifetime = null, string? jti = null, string? sub = null)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = JsonSerializer.SerializeToUtf8Bytes(new
        {
            iss = clientId, sub = sub ?? clientId, aud = tokenUrl, jti = jti ?? Guid.NewGuid().ToString("N"),
            exp = (now + (lifetime ?? TimeSpan.FromMinutes(4))).ToUnixTimeSeconds(),
        });
        return CompactJws.Sign(key, JwsAlgorithm.Find(key.Alg)!, claims, "JWT");
    }

    public static Dictionary<string, string> BackendForm(string assertion, string scope = "system/*.rs") => new()
    {
        ["grant_type"] = "client_credentials",
        ["scope"] = scope,
        ["client_assertion_type"] = JwtBearer,
        ["client_assertion"] = assertion,
    };

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>The claims of a token, unverified (the tests check what the server put in).</summary>
    public static JsonElement Peek(string jwt)
    {
        var part = jwt.Split('.')[1];
        Assert.True(Base64UrlText.TryDecode(part, out var bytes));
        using var doc = JsonDocument.Parse(bytes);
        return doc.RootElement.Clone();
    }

    public static string NewVerifier() => Base64UrlText.Encode(RandomNumberGenerator.GetBytes(32));

    public static string Challenge(string verifier) => Base64UrlText.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    public static async Task<HttpResponseMessage> GetAsync(HttpClient http, string url, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return await http.SendAsync(request);
    }
}
