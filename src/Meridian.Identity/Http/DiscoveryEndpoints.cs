using Meridian.Identity.Jose;
using Meridian.Identity.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Http;

/// <summary><c>/.well-known/smart-configuration</c> (SMART App Launch v2 §2.4) and the JWKS.</summary>
internal static class DiscoveryEndpoints
{
    public static readonly string[] GrantTypes = ["authorization_code", "client_credentials", "refresh_token"];
    public static readonly string[] AuthMethods = ["private_key_jwt", "client_secret_basic", "client_secret_post"];

    private static readonly string[] s_capabilities =
    [
        "launch-standalone", "client-public", "client-confidential-symmetric", "client-confidential-asymmetric",
        "context-standalone-patient", "permission-offline", "permission-online", "permission-patient", "permission-user",
        "permission-v1", "permission-v2", "sso-openid-connect",
    ];

    private static readonly string[] s_scopes =
    [
        "openid", "fhirUser", "launch/patient", "offline_access", "online_access",
        "patient/*.rs", "user/*.rs", "user/*.cruds", "system/*.rs", "system/*.cruds", "patient/*.read", "user/*.read", "user/*.*", "system/*.*",
    ];

    public static IResult SmartConfiguration(HttpContext http, string tenant, IdentityOptions options)
    {
        var urls = IdentityUrls.For(http.Request, options, tenant);
        if (options.Mode == "external")
        {
            var ext = options.External;
            return OAuthResults.Json(w =>
            {
                w.WriteString("issuer", ext.Issuer);
                Optional(w, "authorization_endpoint", ext.AuthorizationEndpoint);
                Optional(w, "token_endpoint", ext.TokenEndpoint);
                OAuthResults.WriteArray(w, "grant_types_supported", GrantTypes);
                OAuthResults.WriteArray(w, "code_challenge_methods_supported", ["S256"]);
                OAuthResults.WriteArray(w, "capabilities", ["launch-standalone", "permission-v2"]);
            });
        }
        return OAuthResults.Json(w =>
        {
            w.WriteString("issuer", urls.Issuer);
            w.WriteString("jwks_uri", urls.JwksUri);
            w.WriteString("authorization_endpoint", urls.AuthorizeEndpoint);
            w.WriteString("token_endpoint", urls.TokenEndpoint);
            w.WriteString("introspection_endpoint", urls.IntrospectionEndpoint);
            OAuthResults.WriteArray(w, "grant_types_supported", GrantTypes);
            OAuthResults.WriteArray(w, "token_endpoint_auth_methods_supported", AuthMethods);
            OAuthResults.WriteArray(w, "token_endpoint_auth_signing_alg_values_supported", ["RS384", "ES384", "RS256", "ES256"]);
            OAuthResults.WriteArray(w, "scopes_supported", s_scopes);
            OAuthResults.WriteArray(w, "response_types_supported", ["code"]);
            OAuthResults.WriteArray(w, "code_challenge_methods_supported", ["S256"]);
            OAuthResults.WriteArray(w, "capabilities", s_capabilities);
        });
    }

    public static IResult Jwks(HttpContext http)
    {
        var keys = http.RequestServices.GetRequiredService<SigningKeyRing>();
        return new JwksResult(keys.Jwks);
    }

    private static void Optional(System.Text.Json.Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private sealed class JwksResult(JsonWebKeySet set) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/jwk-set+json";
            httpContext.Response.Headers.CacheControl = "public, max-age=300";
            return httpContext.Response.WriteAsync(set.ToJson(publicOnly: true), httpContext.RequestAborted);
        }
    }
}
