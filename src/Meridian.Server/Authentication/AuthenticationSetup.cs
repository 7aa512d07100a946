using Meridian.Identity;
using Meridian.Identity.Accounts;
using Meridian.Identity.Http;
using Meridian.Storage.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Server.Authentication;

/// <summary>
/// Wires authentication into the host: services before the container is built, the bearer
/// middleware and the authorization server's endpoints after. Off entirely under
/// <c>--insecure-dev</c>.
/// </summary>
public static class AuthenticationSetup
{
    public static Task AddMeridianAuthenticationAsync(this WebApplicationBuilder builder, MeridianServerOptions options, ISystemRecordStore records, CancellationToken ct) =>
        builder.AddMeridianAuthenticationAsync(options, records, master: null, ct);

    /// <param name="master">The store's master key: seals the token-signing keys at rest.</param>
    public static async Task AddMeridianAuthenticationAsync(this WebApplicationBuilder builder, MeridianServerOptions options, ISystemRecordStore records, Storage.Protection.MasterKey? master, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.InsecureDev)
        {
            await builder.Services.AddMeridianIdentityAsync(options.Identity, records, master, ct).ConfigureAwait(false);
            if (options.Identity.Mode == "builtin" && options.Identity.BootstrapAdmin)
            {
                var store = new IdentityStore(records);
                var credentials = await IdentityBootstrap.EnsureAdminAsync(store, new LoginService(store, options.Identity, TimeProvider.System), TimeProvider.System, ct).ConfigureAwait(false);
                if (credentials is not null)
                {
                    builder.Services.AddSingleton(credentials);
                }
            }
        }
    }

    public static WebApplication UseMeridianAuthentication(this WebApplication app, MeridianServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.InsecureDev)
        {
            app.UseMiddleware<BearerAuthenticationMiddleware>();
            app.MapIdentityEndpoints(options.Identity);
        }
        return app;
    }
}
