using Meridian.Identity.Jose;

namespace Meridian.Identity.Tests.Jose;

public sealed class JsonWebKeyTests
{
    [Theory]
    [InlineData("RS256")]
    [InlineData("RS384")]
    [InlineData("ES256")]
    [InlineData("ES384")]
    public void Keys_round_trip_through_JWKS_json_and_still_verify(string alg)
    {
        var algorithm = JwsAlgorithm.Find(alg)!;
        var key = JsonWebKey.Generate(algorithm);
        var token = CompactJws.Sign(key, algorithm, "{\"a\":1}"u8);
        var set = JsonWebKeySet.Parse(new JsonWebKeySet([key]).ToJson()).Value;
        var published = Assert.Single(set.Keys);
        Assert.False(published.HasPrivateKey);
        Assert.Equal(key.Kid, published.Kid);
        Assert.Equal(key.Thumbprint(), published.Thumbprint());
        Assert.True(CompactJws.Verify(CompactJws.Parse(token, 4096).Value, published, algorithm));
        var privateCopy = JsonWebKey.Parse(key.ToJson()).Value;
        Assert.True(privateCopy.HasPrivateKey);
    }

    [Fact]
    public void RFC7638_thumbprint_example()
    {
        // RFC 7638 §3.1: the RSA key of RFC 7517 Appendix A.1 has this SHA-256 thumbprint.
        const string jwk = """{"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","alg":"RS256","kid":"2011-04-29"}""";
        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", JsonWebKey.Parse(jwk).Value.Thumbprint());
    }

    [Theory]
    [InlineData("""{"keys":{}}""")]
    [InlineData("""{"keys":[{"kty":"RSA","e":"AQAB"}]}""")]
    [InlineData("""{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}""")]
    [InlineData("""{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}""")]
    [InlineData("""{"keys":[{"kty":"EC","crv":"P-256","x":"a+b/","y":"AA"}]}""")]
    [InlineData("not json")]
    public void Malformed_key_sets_are_errors_not_exceptions(string json)
    {
        Assert.False(JsonWebKeySet.Parse(json).IsSuccess);
    }

    [Fact]
    public void Symmetric_keys_in_a_set_are_skipped()
    {
        var set = JsonWebKeySet.Parse("""{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}""").Value;
        Assert.Empty(set.Keys);
    }
}
