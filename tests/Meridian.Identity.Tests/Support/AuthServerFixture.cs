using System.Net.Http.Headers;
using Meridian.Identity.Accounts;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Tests.Support;

/// <summary>
/// A real Meridian server with authentication ON (no --insecure-dev), on 127.0.0.1 and a free
/// port, over one store. Tests isolate themselves by tenant or by client id.
/// </summary>
public abstract class AuthServerFixture(TestServerStore store) : IAsyncLifetime
{
    private WebApplication? _app;

    public string Root { get; private set; } = "";

    /// <summary>Does not follow redirects: the authorize tests read the Location.</summary>
    public HttpClient Http { get; } = new(new HttpClientHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(2) };

    public BootstrapCredentials Admin { get; private set; } = null!;

    public IServiceProvider Services => _app!.Services;

    public const int MaxFailedLogins = 3;

    /// <summary>Where the server keeps its data: a throwaway SQLite directory or PostgreSQL database.</summary>
    protected TestServerStore Data { get; } = store;

    public async Task InitializeAsync()
    {
        var settings = await Data.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:Identity:MaxFailedLogins"] = MaxFailedLogins.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _app = await MeridianServer.BuildAsync([], settings);
        await _app.StartAsync();
        Root = MeridianServer.Addresses(_app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        Admin = _app.Services.GetRequiredService<BootstrapCredentials>();
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
    }

    public IdentityStore Store => Services.GetRequiredService<IdentityStore>();

    public async Task<string> AddClientAsync(string tenant, NewClient client)
    {
        var result = await ClientAdmin.AddAsync(Store, tenant, client, TimeProvider.System, CancellationToken.None);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return result.Value;
    }

    public async Task AddUserAsync(string tenant, string username, string password, string? fhirUser, params string[] roles) =>
        Assert.True(await Services.GetRequiredService<LoginService>().CreateAsync(tenant, username, password, fhirUser, [.. roles], CancellationToken.None));

    /// <summary>The URL prefix of a tenant ("" for default).</summary>
    public string Prefix(string tenant) => tenant == IdentityUrls.DefaultTenant ? Root : $"{Root}/t/{tenant}";

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await Data.DisposeAsync();
    }
}

public sealed class SqliteAuthServerFixture() : AuthServerFixture(TestServerStore.Sqlite("meridian-identity-"))
{
    public string DataDirectory => ((SqliteTestServerStore)Data).Directory;
}

/// <summary>A fresh database on the server named by MERIDIAN_TEST_PG (test.sh starts one with
/// scripts/pg-test-cluster.sh). Missing configuration fails the tests rather than skipping them.</summary>
public sealed class PostgresAuthServerFixture() : AuthServerFixture(TestServerStore.Postgres());
