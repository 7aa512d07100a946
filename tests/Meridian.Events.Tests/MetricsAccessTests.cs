using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Meridian.Identity.Accounts;
using Meridian.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meridian.Events.Tests;

/// <summary>
/// Who may read /metrics with authentication on: a token whose client holds role
/// <c>monitoring</c> (Prometheus' oauth2 client-credentials), not any token and not nobody;
/// <c>Metrics:Anonymous</c> is the explicit opt-in. And the server refuses to start on a
/// transport it does not have.
/// </summary>
public sealed class MetricsAccessTests : IAsyncLifetime
{
    private readonly SqliteTestServerStore _store = TestServerStore.Sqlite("meridian-events-auth-");
    private WebApplication? _app;
    private string _root = "";

    private HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(1) };

    public async Task InitializeAsync()
    {
        var settings = await _store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        _app = await MeridianServer.BuildAsync([], settings);
        await _app.StartAsync();
        _root = MeridianServer.Addresses(_app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await _store.DisposeAsync();
    }

    private Task<string> TokenAsync(params string[] roles) => TokenAsync(_app!, _root, roles);

    private async Task<string> TokenAsync(WebApplication app, string root, params string[] roles)
    {
        var id = "scraper-" + Guid.NewGuid().ToString("N")[..8];
        var added = await ClientAdmin.AddAsync(app.Services.GetRequiredService<IdentityStore>(), "default",
            new NewClient { ClientId = id, Scopes = ["system/*.rs"], Roles = [.. roles] }, TimeProvider.System, CancellationToken.None);
        Assert.True(added.IsSuccess, added.Error?.ToString());
        using var form = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", "system/*.rs"), new("client_id", id), new("client_secret", added.Value)]);
        using var response = await Http.PostAsync(root + "/auth/token", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    private Task<HttpStatusCode> ScrapeAsync(string? token) => ScrapeAsync(_root, token);

    private async Task<HttpStatusCode> ScrapeAsync(string root, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, root + "/metrics");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await Http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Metrics_need_a_token_with_the_monitoring_role()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await ScrapeAsync(null));
        Assert.Equal(HttpStatusCode.Forbidden, await ScrapeAsync(await TokenAsync("integration")));
        Assert.Equal(HttpStatusCode.OK, await ScrapeAsync(await TokenAsync("monitoring")));
    }

    [Fact]
    public async Task Anonymous_scraping_is_an_explicit_opt_in()
    {
        await using var open = TestServerStore.Sqlite("meridian-events-anon-");
        var settings = await open.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:Metrics:Anonymous"] = "true";
        await using var app = await MeridianServer.BuildAsync([], settings);
        await app.StartAsync();
        var root = MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        using var response = await Http.GetAsync(root + "/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        await app.StopAsync();
    }

    [Fact]
    public async Task The_roles_that_may_scrape_are_configurable()
    {
        await using var store = TestServerStore.Sqlite("meridian-events-roles-");
        var settings = await store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings["Meridian:Metrics:Roles"] = "ops, sre";
        await using var app = await MeridianServer.BuildAsync([], settings);
        await app.StartAsync();
        var root = MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, await ScrapeAsync(root, await TokenAsync(app, root, "monitoring")));
        Assert.Equal(HttpStatusCode.OK, await ScrapeAsync(root, await TokenAsync(app, root, "sre")));
        await app.StopAsync();
    }

    [Theory]
    [InlineData("Meridian:Events:Transport", "rabbitmq", "Events:Transport 'rabbitmq' is not available")]
    [InlineData("Meridian:Events:PollInterval", "soon", "Events:PollInterval 'soon'")]
    [InlineData("Meridian:Events:BatchSize", "0", "Events:BatchSize")]
    public async Task Bad_event_settings_stop_the_start(string key, string value, string message)
    {
        await using var store = TestServerStore.Sqlite("meridian-events-bad-");
        var settings = await store.SettingsAsync();
        settings["Meridian:Port"] = "0";
        settings[key] = value;
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => MeridianServer.BuildAsync([], settings));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
