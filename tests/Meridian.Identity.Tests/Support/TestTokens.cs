using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Meridian.Identity.Jose;

namespace Meridian.Identity.Tests.Support;

/// <summary>Builds tokens for tests, including ones no honest issuer would make.</summary>
internal static class TestTokens
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public static byte[] Claims(object claims) => JsonSerializer.SerializeToUtf8Bytes(claims);

    public static string Sign(JsonWebKey key, object claims, string? alg = null, string? typ = "JWT") =>
        CompactJws.Sign(key, JwsAlgorithm.Find(alg ?? key.Alg)!, Claims(claims), typ);

    /// <summary>A token with any header and an HMAC-SHA256 signature under <paramref name="secret"/>.</summary>
    public static string Hmac(string headerJson, object claims, byte[] secret)
    {
        var input = B64(Encoding.UTF8.GetBytes(headerJson)) + "." + B64(Claims(claims));
        return input + "." + B64(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)));
    }

    public static string Unsigned(string headerJson, object claims) =>
        B64(Encoding.UTF8.GetBytes(headerJson)) + "." + B64(Claims(claims)) + ".";

    public static string B64(byte[] bytes) => Base64UrlText.Encode(bytes);

    public static long Unix(DateTimeOffset t) => t.ToUnixTimeSeconds();
}
