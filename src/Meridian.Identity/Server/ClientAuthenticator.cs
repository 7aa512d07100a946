using System.Text;
using Meridian.Identity.Accounts;
using Meridian.Identity.Jose;
using Microsoft.AspNetCore.Http;

namespace Meridian.Identity.Server;

/// <summary>A client identified at the token or introspection endpoint.</summary>
/// <param name="Authenticated">False for a public client that only named itself (<c>client_id</c>).</param>
public sealed record AuthenticatedClient(ClientRegistration Client, bool Authenticated);

/// <summary>
/// Client authentication at the token endpoint: <c>private_key_jwt</c> (RFC 7523, SMART Backend
/// Services: iss = sub = client_id, aud = the token URL, exp at most 5 minutes ahead, jti never
/// seen before), <c>client_secret_basic</c> / <c>client_secret_post</c>, or a public client
/// naming itself. Each client may only use the method it was registered with.
/// </summary>
public sealed class ClientAuthenticator(IdentityStore store, IdentityOptions options, TimeProvider clock)
{
    public const string JwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private static readonly TimeSpan s_maxAssertionLifetime = TimeSpan.FromMinutes(5);

    public async Task<Result<AuthenticatedClient>> AuthenticateAsync(IFormCollection form, HttpRequest request, string tenant, IdentityUrls urls, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(urls);
        var formClientId = Single(form, "client_id");
        var basic = request.Headers.Authorization.Count == 1 && request.Headers.Authorization[0] is { } h && h.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) ? h[6..].Trim() : null;
        var methods = (form.ContainsKey("client_assertion") || form.ContainsKey("client_assertion_type") ? 1 : 0) + (basic is null ? 0 : 1) + (form.ContainsKey("client_secret") ? 1 : 0);
        if (methods > 1)
        {
            return Fail("Use exactly one client authentication method.");
        }
        if (form.ContainsKey("client_assertion") || form.ContainsKey("client_assertion_type"))
        {
            return await AssertionAsync(form, formClientId, tenant, urls, ct).ConfigureAwait(false);
        }
        if (basic is not null)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(basic));
            }
            catch (FormatException)
            {
                return Fail("The Basic credentials are not base64.");
            }
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return Fail("The Basic credentials must be client_id:client_secret.");
            }
            // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
            var id = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
            var secret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
            if (formClientId is not null && formClientId != id)
            {
                return Fail("client_id does not match the Basic credentials.");
            }
            return await SecretAsync(tenant, id, secret, ct).ConfigureAwait(false);
        }
        if (Single(form, "client_secret") is { } postSecret)
        {
            return formClientId is null ? Fail("client_secret needs client_id.") : await SecretAsync(tenant, formClientId, postSecret, ct).ConfigureAwait(false);
        }
        if (formClientId is null)
        {
            return Fail("The client is not authenticated.");
        }
        var client = await store.GetAsync<ClientRegistration>(tenant, IdentityStore.Clients, formClientId, ct).ConfigureAwait(false);
        if (client is null || client.Value.AuthMethod != ClientAuthMethods.None)
        {
            return Fail("The client is unknown or must authenticate.");
        }
        return Result<AuthenticatedClient>.Ok(new AuthenticatedClient(client.Value, Authenticated: false));
    }

    private async Task<Result<AuthenticatedClient>> SecretAsync(string tenant, string clientId, string secret, CancellationToken ct)
    {
        var client = await store.GetAsync<ClientRegistration>(tenant, IdentityStore.Clients, clientId, ct).ConfigureAwait(false);
        // Same work whether or not the client exists: the answer does not reveal which ids are registered.
        var ok = PasswordHasher.VerifySecret(secret, client?.Value.SecretHash ?? PasswordHasher.HashSecret("\0"));
        if (client is null || client.Value.SecretHash is null || !ok
            || client.Value.AuthMethod is not (ClientAuthMethods.SecretBasic or ClientAuthMethods.SecretPost))
        {
            return Fail("The client credentials are invalid.");
        }
        return Result<AuthenticatedClient>.Ok(new AuthenticatedClient(client.Value, Authenticated: true));
    }

    private async Task<Result<AuthenticatedClient>> AssertionAsync(IFormCollection form, string? formClientId, string tenant, IdentityUrls urls, CancellationToken ct)
    {
        if (Single(form, "client_assertion_type") != JwtBearer)
        {
            return Fail($"client_assertion_type must be {JwtBearer}.");
        }
        var assertion = Single(form, "client_assertion");
        if (assertion is null)
        {
            return Fail("client_assertion is missing.");
        }
        // The issuer is read before verification only to find the client's registered keys.
        var unverified = CompactJws.Parse(assertion, options.MaxTokenLength);
        if (!unverified.IsSuccess)
        {
            return Fail("client_assertion: " + unverified.Error!.Description);
        }
        var clientId = unverified.Value.Payload.TryGetProperty("iss", out var iss) && iss.ValueKind == System.Text.Json.JsonValueKind.String ? iss.GetString()! : null;
        if (clientId is null || (formClientId is not null && formClientId != clientId))
        {
            return Fail("client_assertion: 'iss' must be the client_id.");
        }
        var client = await store.GetAsync<ClientRegistration>(tenant, IdentityStore.Clients, clientId, ct).ConfigureAwait(false);
        if (client is null || client.Value.AuthMethod != ClientAuthMethods.PrivateKeyJwt || client.Value.Jwks is null)
        {
            return Fail("The client is unknown or not registered for private_key_jwt.");
        }
        var jwks = JsonWebKeySet.Parse(client.Value.Jwks);
        if (!jwks.IsSuccess)
        {
            return Fail("The client's registered JWKS is invalid.");
        }
        var now = clock.GetUtcNow();
        var skew = TimeSpan.FromSeconds(options.ClockSkewSeconds);
        var result = JwtValidator.Validate(assertion, new JwtValidationParameters
        {
            Keys = jwks.Value.Keys,
            Issuers = [clientId],
            Audiences = [urls.TokenEndpoint],
            RequiredClaims = ["sub", "jti"],
            MaxLifetime = s_maxAssertionLifetime,
            ClockSkew = skew,
            MaxTokenLength = options.MaxTokenLength,
            Now = now,
        });
        if (!result.IsSuccess)
        {
            return Fail("client_assertion: " + result.Error!.Description);
        }
        var claims = result.Value;
        if (claims.Subject != clientId)
        {
            return Fail("client_assertion: 'sub' must be the client_id.");
        }
        // Replay cache: the jti is remembered until the assertion could no longer be accepted.
        var jtiKey = clientId + "\n" + claims.Id;
        var remembered = await store.PutAsync(tenant, IdentityStore.AssertionIds, jtiKey, new { seen = now }, Storage.Records.SystemRecord.Absent, claims.Expires!.Value + skew + skew, ct).ConfigureAwait(false);
        if (!remembered)
        {
            return Fail("client_assertion: this jti was already used.");
        }
        return Result<AuthenticatedClient>.Ok(new AuthenticatedClient(client.Value, Authenticated: true));
    }

    internal static string? Single(IFormCollection form, string name) =>
        form.TryGetValue(name, out var v) && v.Count == 1 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;

    private static Result<AuthenticatedClient> Fail(string description) => Result<AuthenticatedClient>.Fail("invalid_client", description);
}
