using Meridian.Identity.Accounts;
using Meridian.Storage.Records;
using Meridian.Subscriptions;

namespace Meridian.Server.Subscriptions;

/// <summary>
/// The built-in identity server's answer to "do a subscription creator's rights still hold?":
/// its OAuth client must still be registered and its user must still exist and not be disabled,
/// in the tenant that issued the creator's token; and the login its token was issued under (the
/// refresh-token family, claim <c>sid</c>) must not be revoked. A family that expired is not a
/// revocation (the login ended, the rights did not), so only a revoked one turns the subscription off.
/// Only for <c>Identity:Mode = builtin</c>; with an external issuer nothing here knows its clients.
/// </summary>
public static class IdentityRevocationCheck
{
    public static CreatorRevocation For(ISystemRecordStore records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var store = new IdentityStore(records);
        return async (tenant, creator, ct) =>
        {
            // Only a creator that came with a bearer token has an account to lose: the server's own
            // pipelines (Caller.System) and insecure-dev carry no token tenant.
            if (creator.IsInsecureDev || creator.TokenTenant is not { } issuer)
            {
                return null;
            }
            if (creator.ClientId is { } client
                && await store.GetAsync<ClientRegistration>(issuer, IdentityStore.Clients, client, ct).ConfigureAwait(false) is null)
            {
                return $"client {client} is no longer registered";
            }
            if (creator.UserId is { } userId)
            {
                var users = await store.ListAsync<UserAccount>(issuer, IdentityStore.Users, ct).ConfigureAwait(false);
                var user = users.FirstOrDefault(u => u.UserId == userId);
                if (user is null) return $"user {userId} no longer exists";
                if (user.Disabled) return $"user {user.Username} is disabled";
            }
            if (creator.Session is { } session
                && await store.GetAsync<TokenFamily>(issuer, IdentityStore.Families, session, ct).ConfigureAwait(false) is { Value.Revoked: true })
            {
                return "the login its token was issued under (refresh-token family) was revoked";
            }
            return null;
        };
    }
}
