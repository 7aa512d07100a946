using System.Security.Cryptography;
using System.Text;
using Meridian.Identity.Jose;
using Meridian.Identity.Tests.Support;

namespace Meridian.Identity.Tests.Jose;

/// <summary>Every way a token must be refused, and the one way it is accepted.</summary>
public sealed class JwtValidatorTests
{
    private static readonly JsonWebKey s_rsa = JsonWebKey.Generate(JwsAlgorithm.RS256, "rsa-1");
    private static readonly JsonWebKey s_ec = JsonWebKey.Generate(JwsAlgorithm.ES384, "ec-1");

    private static object Good(long? exp = null, string aud = "https://fhir.test/fhir", string iss = "https://fhir.test/auth") => new
    {
        iss, aud, sub = "alice", jti = "t-1",
        iat = TestTokens.Unix(TestTokens.Now), exp = exp ?? TestTokens.Unix(TestTokens.Now.AddMinutes(5)),
    };

    private static JwtValidationParameters Parameters(params JsonWebKey[] keys) => new()
    {
        Keys = [.. keys.Select(k => k.PublicOnly())],
        Issuers = ["https://fhir.test/auth"],
        Audiences = ["https://fhir.test/fhir"],
        RequiredClaims = ["sub", "jti"],
        Now = TestTokens.Now,
    };

    private static string Refusal(string token, JwtValidationParameters? p = null)
    {
        var result = JwtValidator.Validate(token, p ?? Parameters(s_rsa, s_ec));
        Assert.False(result.IsSuccess, "the token was accepted");
        Assert.Equal("invalid_token", result.Error!.Code);
        return result.Error.Description;
    }

    [Fact]
    public void A_good_token_of_each_key_is_accepted()
    {
        foreach (var key in new[] { s_rsa, s_ec })
        {
            var result = JwtValidator.Validate(TestTokens.Sign(key, Good()), Parameters(s_rsa, s_ec));
            Assert.True(result.IsSuccess, result.Error?.ToString());
            Assert.Equal("alice", result.Value.Subject);
            Assert.Equal(key.Kid, result.Value.KeyId);
        }
    }

    [Fact]
    public void Forged_signature_is_refused()
    {
        var other = JsonWebKey.Generate(JwsAlgorithm.RS256, "rsa-1"); // same kid, different key
        Assert.Equal("The token signature is invalid.", Refusal(TestTokens.Sign(other, Good())));
    }

    [Fact]
    public void Flipped_signature_bit_is_refused()
    {
        var token = TestTokens.Sign(s_ec, Good());
        var sig = Convert.FromBase64String(ToStd(token.Split('.')[2]));
        sig[5] ^= 1;
        var parts = token.Split('.');
        Assert.Equal("The token signature is invalid.", Refusal($"{parts[0]}.{parts[1]}.{TestTokens.B64(sig)}"));
    }

    [Fact]
    public void Expired_token_is_refused_after_the_clock_skew_only()
    {
        var exp = TestTokens.Unix(TestTokens.Now.AddSeconds(-30));
        Assert.True(JwtValidator.Validate(TestTokens.Sign(s_rsa, Good(exp)), Parameters(s_rsa)).IsSuccess, "30 s is inside the 60 s skew");
        Assert.Equal("The token has expired.", Refusal(TestTokens.Sign(s_rsa, Good(TestTokens.Unix(TestTokens.Now.AddMinutes(-2))))));
    }

    [Fact]
    public void Missing_expiry_is_refused()
    {
        Assert.Equal("The token has no expiry ('exp').", Refusal(TestTokens.Sign(s_rsa, new { iss = "https://fhir.test/auth", aud = "https://fhir.test/fhir", sub = "a", jti = "1" })));
        Assert.Equal("'exp' must be a NumericDate.", Refusal(TestTokens.Sign(s_rsa, new { iss = "https://fhir.test/auth", aud = "https://fhir.test/fhir", sub = "a", jti = "1", exp = "tomorrow" })));
    }

    [Fact]
    public void Not_yet_valid_and_future_issued_tokens_are_refused()
    {
        var later = TestTokens.Unix(TestTokens.Now.AddMinutes(3));
        Assert.Contains("nbf", Refusal(TestTokens.Sign(s_rsa, new { iss = "https://fhir.test/auth", aud = "https://fhir.test/fhir", sub = "a", jti = "1", nbf = later, exp = later + 300 })), StringComparison.Ordinal);
        Assert.Contains("iat", Refusal(TestTokens.Sign(s_rsa, new { iss = "https://fhir.test/auth", aud = "https://fhir.test/fhir", sub = "a", jti = "1", iat = later, exp = later + 300 })), StringComparison.Ordinal);
    }

    [Fact]
    public void Alg_none_is_refused_in_every_spelling()
    {
        foreach (var alg in new[] { "none", "None", "NONE", "" })
        {
            Assert.Contains("is not accepted", Refusal(TestTokens.Unsigned($$"""{"alg":"{{alg}}","kid":"rsa-1"}""", Good())), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Wrong_audience_is_refused()
    {
        Assert.Equal("The token is not meant for this audience.", Refusal(TestTokens.Sign(s_rsa, Good(aud: "https://fhir.test/t/other/fhir"))));
    }

    [Fact]
    public void Wrong_issuer_is_refused()
    {
        Assert.Equal("The token issuer is not trusted.", Refusal(TestTokens.Sign(s_rsa, Good(iss: "https://evil.test/auth"))));
    }

    [Fact]
    public void HS256_signed_with_the_public_RSA_key_as_secret_is_refused()
    {
        // The classic confusion attack: a verifier that lets the token pick HMAC would use the public key bytes as the secret.
        var publicKey = Encoding.UTF8.GetBytes(s_rsa.PublicOnly().ToJson());
        Assert.Contains("'HS256' is not accepted", Refusal(TestTokens.Hmac("""{"alg":"HS256","kid":"rsa-1"}""", Good(), publicKey)), StringComparison.Ordinal);
        using var rsa = s_rsa.CreateRsa();
        var der = rsa.ExportSubjectPublicKeyInfo();
        Assert.Contains("is not accepted", Refusal(TestTokens.Hmac("""{"alg":"HS256"}""", Good(), der)), StringComparison.Ordinal);
    }

    [Fact]
    public void An_EC_key_cannot_verify_an_RS_token_nor_a_P384_key_an_ES256_one()
    {
        var token = TestTokens.Sign(s_rsa, Good());
        var header = TestTokens.B64(Encoding.UTF8.GetBytes("""{"alg":"RS256","kid":"ec-1"}"""));
        var parts = token.Split('.');
        Assert.Equal("The trusted key does not allow algorithm 'RS256'.", Refusal($"{header}.{parts[1]}.{parts[2]}"));
        var es256Header = TestTokens.B64(Encoding.UTF8.GetBytes("""{"alg":"ES256","kid":"ec-1"}"""));
        Assert.Equal("The trusted key does not allow algorithm 'ES256'.", Refusal($"{es256Header}.{parts[1]}.{parts[2]}"));
    }

    [Fact]
    public void A_key_with_its_own_alg_is_only_used_for_it()
    {
        var rs384 = JsonWebKey.Generate(JwsAlgorithm.RS384, "k");
        var signedRs256 = TestTokens.Sign(rs384 with { Alg = "RS256" }, Good(), "RS256");
        Assert.Equal("The trusted key does not allow algorithm 'RS256'.", Refusal(signedRs256, Parameters(rs384)));
        Assert.True(JwtValidator.Validate(TestTokens.Sign(rs384, Good()), Parameters(rs384)).IsSuccess);
    }

    [Fact]
    public void Unknown_kid_is_refused()
    {
        var stranger = JsonWebKey.Generate(JwsAlgorithm.ES384, "who-is-this");
        Assert.Equal("Key 'who-is-this' is not trusted.", Refusal(TestTokens.Sign(stranger, Good())));
    }

    [Fact]
    public void Embedded_jwk_header_is_never_trusted()
    {
        var attacker = JsonWebKey.Generate(JwsAlgorithm.ES384, null);
        var pub = attacker.PublicOnly().ToJson();
        var header = TestTokens.B64(Encoding.UTF8.GetBytes($$"""{"alg":"ES384","jwk":{{pub}}}"""));
        using var ec = attacker.CreateECDsa();
        var body = TestTokens.B64(TestTokens.Claims(Good()));
        var sig = ec.SignData(Encoding.ASCII.GetBytes(header + "." + body), HashAlgorithmName.SHA384, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        Assert.Equal("The token signature is invalid.", Refusal($"{header}.{body}.{TestTokens.B64(sig)}"));
    }

    [Fact]
    public void DER_encoded_ECDSA_signatures_are_refused()
    {
        var body = TestTokens.B64(TestTokens.Claims(Good()));
        var header = TestTokens.B64(Encoding.UTF8.GetBytes("""{"alg":"ES384","kid":"ec-1"}"""));
        using var ec = s_ec.CreateECDsa();
        var der = ec.SignData(Encoding.ASCII.GetBytes(header + "." + body), HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence);
        Assert.Equal("The token signature is invalid.", Refusal($"{header}.{body}.{TestTokens.B64(der)}"));
    }

    [Fact]
    public void Oversize_tokens_are_refused_before_any_parsing()
    {
        var huge = TestTokens.Sign(s_rsa, new { iss = "https://fhir.test/auth", aud = "https://fhir.test/fhir", sub = "a", jti = "1", exp = TestTokens.Unix(TestTokens.Now.AddMinutes(1)), pad = new string('x', 20_000) });
        Assert.Equal("The token is too large.", Refusal(huge));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d.e")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.e30=.AAAA")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.W10.AAAA")]
    [InlineData("e30.e30.AAAA")]
    public void Malformed_tokens_are_refused(string token)
    {
        Refusal(token);
    }

    [Fact]
    public void Critical_headers_and_duplicate_claims_are_refused()
    {
        Assert.Contains("critical", Refusal(TestTokens.Hmac("""{"alg":"RS256","crit":["exp"],"exp":1}""", Good(), [1])), StringComparison.Ordinal);
        var header = TestTokens.B64(Encoding.UTF8.GetBytes("""{"alg":"RS256","kid":"rsa-1"}"""));
        var body = TestTokens.B64(Encoding.UTF8.GetBytes("""{"sub":"alice","sub":"admin","exp":9999999999}"""));
        Assert.Contains("repeats", Refusal($"{header}.{body}.AAAA"), StringComparison.Ordinal);
    }

    [Fact]
    public void Required_claims_and_type_are_enforced()
    {
        var p = Parameters(s_rsa) with { RequiredType = "at+jwt" };
        Assert.Equal("The token type must be 'at+jwt'.", Refusal(TestTokens.Sign(s_rsa, Good()), p));
        Assert.True(JwtValidator.Validate(TestTokens.Sign(s_rsa, Good(), typ: "at+jwt"), p).IsSuccess);
        Assert.Equal("The token lacks the required claim 'jti'.", Refusal(TestTokens.Sign(s_rsa, new { iss = "https://fhir.test/auth", aud = "https://fhir.test/fhir", sub = "a", exp = TestTokens.Unix(TestTokens.Now.AddMinutes(1)) })));
    }

    [Fact]
    public void Max_lifetime_bounds_how_far_ahead_exp_may_lie()
    {
        var p = Parameters(s_ec) with { MaxLifetime = TimeSpan.FromMinutes(5) };
        Assert.True(JwtValidator.Validate(TestTokens.Sign(s_ec, Good(TestTokens.Unix(TestTokens.Now.AddMinutes(5)))), p).IsSuccess);
        Assert.Contains("more than 5 minutes", Refusal(TestTokens.Sign(s_ec, Good(TestTokens.Unix(TestTokens.Now.AddMinutes(10)))), p), StringComparison.Ordinal);
    }

    private static string ToStd(string b64url)
    {
        var s = b64url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - s.Length % 4) % 4);
    }
}
