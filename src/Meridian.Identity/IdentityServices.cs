using Meridian.Identity.Accounts;
using Meridian.Identity.Jose;
using Meridian.Identity.Tokens;
using Meridian.Storage.Records;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity;

/// <summary>Registers authentication: the bearer validator of the configured mode and, in
/// <c>builtin</c> mode, the authorization server's keys, issuer and account store.</summary>
public static class IdentityServices
{
    /// <summary>Loads keys (generating the first one in the store) before the host starts, so a bad key file stops start-up.</summary>
    public static Task AddMeridianIdentityAsync(this IServiceCollection services, IdentityOptions options, ISystemRecordStore records, CancellationToken ct) =>
        services.AddMeridianIdentityAsync(options, records, master: null, ct);

    /// <param name="master">The store's master key: the token-signing keys are stored sealed under it (null: plaintext, for stores without encryption at rest).</param>
    public static async Task AddMeridianIdentityAsync(this IServiceCollection services, IdentityOptions options, ISystemRecordStore records, Storage.Protection.MasterKey? master, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(records);
        services.AddSingleton(options);
        services.AddSingleton(records);
        services.AddSingleton(TimeProvider.System);
        if (options.Mode == "external")
        {
            var jwks = JsonWebKeySet.Parse(await File.ReadAllTextAsync(options.External.JwksFile!, ct).ConfigureAwait(false));
            if (!jwks.IsSuccess)
            {
                throw new InvalidOperationException($"Identity:External:JwksFile: {jwks.Error!.Description}");
            }
            services.AddSingleton<IBearerTokenValidator>(sp => new ExternalTokenValidator(jwks.Value, options, sp.GetRequiredService<TimeProvider>()));
            return;
        }
        var keys = await SigningKeyRing.LoadAsync(options, records, master, ct).ConfigureAwait(false);
        services.AddSingleton(keys);
        services.AddSingleton<AccessTokenIssuer>();
        services.AddSingleton<IBearerTokenValidator, BuiltInTokenValidator>();
        services.AddSingleton<IdentityStore>();
        services.AddSingleton<Server.ClientAuthenticator>();
        services.AddSingleton<Server.TokenService>();
        services.AddSingleton<LoginService>();
    }
}
