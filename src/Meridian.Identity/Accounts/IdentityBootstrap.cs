using Meridian.Storage.Records;

namespace Meridian.Identity.Accounts;

/// <summary>Credentials created on the very first start; shown once, stored only as hashes.</summary>
public sealed record BootstrapCredentials(string Username, string Password, string ClientId, string ClientSecret);

/// <summary>
/// First start of the built-in server on an empty identity store: creates the user <c>admin</c>
/// (role admin, for the login page) and the confidential client <c>admin</c> (client secret,
/// role admin, for scripts), with random credentials the host prints once. A store that
/// already has a user or client (e.g. made with <c>meridian users add</c>) is left alone.
/// </summary>
public static class IdentityBootstrap
{
    public const string AdminName = "admin";

    public static async Task<BootstrapCredentials?> EnsureAdminAsync(IdentityStore store, LoginService logins, TimeProvider clock, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logins);
        ArgumentNullException.ThrowIfNull(clock);
        const string tenant = IdentityUrls.DefaultTenant;
        if (!await store.IsEmptyAsync(tenant, ct).ConfigureAwait(false))
        {
            return null;
        }
        var password = PasswordHasher.NewSecret();
        var secret = PasswordHasher.NewSecret();
        if (!await logins.CreateAsync(tenant, AdminName, password, null, ["admin"], ct).ConfigureAwait(false))
        {
            return null; // another server bootstrapped first
        }
        await store.PutAsync(tenant, IdentityStore.Clients, AdminName, new ClientRegistration
        {
            ClientId = AdminName,
            Name = "Meridian administrator (bootstrap)",
            AuthMethod = ClientAuthMethods.SecretBasic,
            SecretHash = PasswordHasher.HashSecret(secret),
            Roles = ["admin"],
            Created = clock.GetUtcNow(),
        }, SystemRecord.Absent, null, ct).ConfigureAwait(false);
        return new BootstrapCredentials(AdminName, password, AdminName, secret);
    }
}
