using System.Text;
using Meridian.Identity.Jose;

namespace Meridian.Identity.Tests.Jose;

/// <summary>The signed examples of RFC 7515 Appendix A.2 (RS256) and A.3 (ES256) verify with our code, and break when touched.</summary>
public sealed class Rfc7515ExampleTests
{
    private const string Payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

    private const string RsaJwk = """
        {"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}
        """;

    private const string RsaToken = "eyJhbGciOiJSUzI1NiJ9." + Payload + "."
        + "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
        + "BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
        + "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

    private const string EcJwk = """
        {"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        """;

    private const string EcToken = "eyJhbGciOiJFUzI1NiJ9." + Payload + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

    /// <summary>The examples' exp is 1300819380 (2011-03-22T18:43:00Z).</summary>
    private static readonly DateTimeOffset s_then = DateTimeOffset.FromUnixTimeSeconds(1300819380 - 600);

    [Theory]
    [InlineData(RsaJwk, RsaToken, "RS256")]
    [InlineData(EcJwk, EcToken, "ES256")]
    public void Appendix_examples_verify(string jwk, string token, string alg)
    {
        var key = JsonWebKey.Parse(jwk).Value;
        var result = JwtValidator.Validate(token, new JwtValidationParameters { Keys = [key], Issuers = ["joe"], Now = s_then });
        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(alg, result.Value.Algorithm);
        Assert.Equal("joe", result.Value.Issuer);
        Assert.True(result.Value.Payload.GetProperty("http://example.com/is_root").GetBoolean());
    }

    [Theory]
    [InlineData(RsaJwk, RsaToken)]
    [InlineData(EcJwk, EcToken)]
    public void A_changed_payload_breaks_the_signature(string jwk, string token)
    {
        var key = JsonWebKey.Parse(jwk).Value;
        var forged = Base64UrlText.Encode(Encoding.UTF8.GetBytes("""{"iss":"joe","exp":1300819380,"http://example.com/is_root":false}"""));
        var parts = token.Split('.');
        var result = JwtValidator.Validate($"{parts[0]}.{forged}.{parts[2]}", new JwtValidationParameters { Keys = [key], Now = s_then });
        Assert.False(result.IsSuccess);
        Assert.Contains("signature", result.Error!.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void The_examples_have_expired_by_now()
    {
        var key = JsonWebKey.Parse(EcJwk).Value;
        var result = JwtValidator.Validate(EcToken, new JwtValidationParameters { Keys = [key], Now = DateTimeOffset.UtcNow });
        Assert.Equal("The token has expired.", result.Error!.Description);
    }

    [Fact]
    public void Unsecured_example_of_appendix_A5_is_refused()
    {
        var key = JsonWebKey.Parse(EcJwk).Value;
        var result = JwtValidator.Validate("eyJhbGciOiJub25lIn0." + Payload + ".", new JwtValidationParameters { Keys = [key], Now = s_then });
        Assert.False(result.IsSuccess);
        Assert.Contains("'none'", result.Error!.Description, StringComparison.Ordinal);
    }
}
