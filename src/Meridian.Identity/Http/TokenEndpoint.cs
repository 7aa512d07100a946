using Meridian.Identity.Server;
using Meridian.Identity.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Http;

/// <summary><c>POST [auth]/token</c> (RFC 6749 §3.2) and <c>POST [auth]/introspect</c> (RFC 7662).</summary>
internal static class TokenEndpoint
{
    /// <summary>Largest form accepted (a client assertion is the biggest field).</summary>
    private const long MaxFormBytes = 64 * 1024;

    public static async Task<IResult> TokenAsync(HttpContext http, string tenant, IdentityOptions options, CancellationToken ct)
    {
        var form = await ReadFormAsync(http, ct).ConfigureAwait(false);
        if (form is null)
        {
            return OAuthResults.Error("invalid_request", "The token request must be an application/x-www-form-urlencoded POST.");
        }
        var services = http.RequestServices;
        var urls = IdentityUrls.For(http.Request, options, tenant);
        var client = await services.GetRequiredService<ClientAuthenticator>().AuthenticateAsync(form, http.Request, tenant, urls, ct).ConfigureAwait(false);
        if (!client.IsSuccess)
        {
            return OAuthResults.Error(client.Error!);
        }
        var tokens = services.GetRequiredService<TokenService>();
        var result = ClientAuthenticator.Single(form, "grant_type") switch
        {
            "client_credentials" => tokens.ClientCredentials(client.Value, tenant, urls, ClientAuthenticator.Single(form, "scope")),
            "authorization_code" => await tokens.AuthorizationCodeAsync(client.Value, tenant, urls, ClientAuthenticator.Single(form, "code"),
                ClientAuthenticator.Single(form, "redirect_uri"), ClientAuthenticator.Single(form, "code_verifier"), ct).ConfigureAwait(false),
            "refresh_token" => await tokens.RefreshAsync(client.Value, tenant, urls, ClientAuthenticator.Single(form, "refresh_token"),
                ClientAuthenticator.Single(form, "scope"), ct).ConfigureAwait(false),
            null => Result<TokenResponse>.Fail("invalid_request", "grant_type is required."),
            var other => Result<TokenResponse>.Fail("unsupported_grant_type", $"grant_type '{other}' is not supported."),
        };
        if (!result.IsSuccess)
        {
            return OAuthResults.Error(result.Error!);
        }
        var t = result.Value;
        return OAuthResults.Json(w =>
        {
            w.WriteString("access_token", t.AccessToken);
            w.WriteString("token_type", "Bearer");
            w.WriteNumber("expires_in", t.ExpiresIn);
            w.WriteString("scope", string.Join(' ', t.Scopes));
            if (t.Patient is not null)
            {
                w.WriteString("patient", t.Patient);
            }
            if (t.RefreshToken is not null)
            {
                w.WriteString("refresh_token", t.RefreshToken);
            }
            if (t.IdToken is not null)
            {
                w.WriteString("id_token", t.IdToken);
            }
        });
    }

    /// <summary>RFC 7662: only authenticated (confidential) clients may ask.</summary>
    public static async Task<IResult> IntrospectAsync(HttpContext http, string tenant, IdentityOptions options, CancellationToken ct)
    {
        var form = await ReadFormAsync(http, ct).ConfigureAwait(false);
        if (form is null)
        {
            return OAuthResults.Error("invalid_request", "The introspection request must be an application/x-www-form-urlencoded POST.");
        }
        var services = http.RequestServices;
        var urls = IdentityUrls.For(http.Request, options, tenant);
        var client = await services.GetRequiredService<ClientAuthenticator>().AuthenticateAsync(form, http.Request, tenant, urls, ct).ConfigureAwait(false);
        if (!client.IsSuccess || !client.Value.Authenticated)
        {
            return OAuthResults.Error("invalid_client", client.Error?.Description ?? "Introspection needs an authenticated client.", 401);
        }
        var token = ClientAuthenticator.Single(form, "token");
        if (token is null)
        {
            return OAuthResults.Error("invalid_request", "token is required.");
        }
        var hint = ClientAuthenticator.Single(form, "token_type_hint");
        if (hint != "refresh_token")
        {
            var access = services.GetRequiredService<IBearerTokenValidator>().Validate(token, urls);
            if (access.IsSuccess)
            {
                var p = access.Value;
                return OAuthResults.Json(w =>
                {
                    w.WriteBoolean("active", true);
                    w.WriteString("token_type", "Bearer");
                    w.WriteString("scope", string.Join(' ', p.Scopes));
                    Optional(w, "client_id", p.ClientId);
                    Optional(w, "sub", p.UserId ?? p.ClientId);
                    Optional(w, "fhirUser", p.FhirUser);
                    Optional(w, "patient", p.PatientContext);
                    Optional(w, "jti", p.TokenId);
                    w.WriteString("iss", urls.Issuer);
                    w.WriteString("aud", urls.FhirBase);
                    w.WriteString("tenant", p.Tenant);
                    if (p.Expires is { } exp)
                    {
                        w.WriteNumber("exp", exp.ToUnixTimeSeconds());
                    }
                });
            }
        }
        if (token.Length <= 256 && await services.GetRequiredService<TokenService>().ActiveRefreshTokenAsync(tenant, token, ct).ConfigureAwait(false) is { } refresh
            && refresh.Grant.ClientId == client.Value.Client.ClientId)
        {
            return OAuthResults.Json(w =>
            {
                w.WriteBoolean("active", true);
                w.WriteString("token_type", "refresh_token");
                w.WriteString("scope", string.Join(' ', refresh.Grant.Scopes));
                w.WriteString("client_id", refresh.Grant.ClientId);
                Optional(w, "sub", refresh.Grant.UserId);
            });
        }
        return OAuthResults.Json(w => w.WriteBoolean("active", false));
    }

    private static void Optional(System.Text.Json.Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    internal static async Task<IFormCollection?> ReadFormAsync(HttpContext http, CancellationToken ct)
    {
        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.HasFormContentType || http.Request.ContentLength > MaxFormBytes)
        {
            return null;
        }
        try
        {
            return await http.Request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { ValueLengthLimit = (int)MaxFormBytes, MultipartBodyLengthLimit = MaxFormBytes, ValueCountLimit = 64 }, ct).ConfigureAwait(false);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
