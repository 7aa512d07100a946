using System.Collections.Immutable;
using Meridian.Identity.Jose;
using Meridian.Storage.Records;

namespace Meridian.Identity.Accounts;

/// <summary>What <c>meridian clients add</c> registers.</summary>
public sealed record NewClient
{
    public required string ClientId { get; init; }
    public string? Name { get; init; }

    /// <summary>JWK Set JSON: a <c>private_key_jwt</c> client. Null with <see cref="Public"/> false: a secret client.</summary>
    public string? Jwks { get; init; }

    /// <summary>A public app (PKCE, no secret).</summary>
    public bool Public { get; init; }

    public ImmutableArray<string> RedirectUris { get; init; } = [];
    public ImmutableArray<string> Scopes { get; init; } = [];
    public ImmutableArray<string> Roles { get; init; } = [];
}

/// <summary>Registers clients (for the CLI, the bootstrap and tests). Errors are values.</summary>
public static class ClientAdmin
{
    /// <returns>The generated secret for a secret client, "" for others; or an error.</returns>
    public static async Task<Result<string>> AddAsync(IdentityStore store, string tenant, NewClient client, TimeProvider clock, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(clock);
        if (client.ClientId.Length is 0 or > 128 || client.ClientId.Any(char.IsControl))
        {
            return Result<string>.Fail("invalid_client_metadata", "client_id must be 1-128 printable characters.");
        }
        foreach (var uri in client.RedirectUris)
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var u) || u.Fragment.Length > 0)
            {
                return Result<string>.Fail("invalid_redirect_uri", $"'{uri}' is not an absolute URI without fragment.");
            }
        }
        string method;
        string? secret = null;
        if (client.Jwks is not null)
        {
            var parsed = JsonWebKeySet.Parse(client.Jwks);
            if (!parsed.IsSuccess || parsed.Value.Keys.IsEmpty)
            {
                return Result<string>.Fail("invalid_client_metadata", "The JWKS has no usable RSA or EC key: " + parsed.Error?.Description);
            }
            if (parsed.Value.Keys.Any(k => k.HasPrivateKey))
            {
                return Result<string>.Fail("invalid_client_metadata", "The JWKS holds a private key; register the public keys only.");
            }
            method = ClientAuthMethods.PrivateKeyJwt;
        }
        else if (client.Public)
        {
            method = ClientAuthMethods.None;
        }
        else
        {
            method = ClientAuthMethods.SecretBasic;
            secret = PasswordHasher.NewSecret();
        }
        var stored = await store.PutAsync(tenant, IdentityStore.Clients, client.ClientId, new ClientRegistration
        {
            ClientId = client.ClientId,
            Name = client.Name,
            AuthMethod = method,
            Jwks = client.Jwks,
            SecretHash = secret is null ? null : PasswordHasher.HashSecret(secret),
            RedirectUris = client.RedirectUris,
            Scopes = client.Scopes,
            Roles = client.Roles,
            Created = clock.GetUtcNow(),
        }, SystemRecord.Absent, null, ct).ConfigureAwait(false);
        return stored ? Result<string>.Ok(secret ?? "") : Result<string>.Fail("invalid_client_metadata", $"Client '{client.ClientId}' already exists.");
    }
}
