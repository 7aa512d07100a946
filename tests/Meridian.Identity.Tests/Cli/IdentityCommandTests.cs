using System.Net;
using Meridian.Cli;
using Meridian.Identity.Accounts;
using Meridian.Identity.Jose;
using Meridian.Identity.Tests.Support;
using Meridian.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Tests.Cli;

/// <summary><c>meridian users</c> and <c>meridian clients</c> against a data directory, then a server on it.</summary>
public sealed class IdentityCommandTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-idcli-").FullName;

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await MeridianCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Clients_and_users_made_with_the_cli_work_on_the_server_and_suppress_the_bootstrap()
    {
        var key = JsonWebKey.Generate(JwsAlgorithm.ES384);
        var jwksFile = Path.Combine(_dir, "client.jwks.json");
        await File.WriteAllTextAsync(jwksFile, new JsonWebKeySet([key]).ToJson());
        var added = await RunAsync("clients", "add", "lab-feed", "--jwks", jwksFile, "--scope", "system/Observation.cruds", "--role", "integration", "--data", _dir);
        Assert.Equal(0, added.Code);
        Assert.Contains("Registered client 'lab-feed'", added.Output, StringComparison.Ordinal);
        var secretClient = await RunAsync("clients", "add", "script", "--secret", "--data", _dir);
        Assert.Contains("Client secret (shown only now): ", secretClient.Output, StringComparison.Ordinal);
        var user = await RunAsync("users", "add", "dr-who", "--fhir-user", "Practitioner/7", "--role", "clinician", "--data", _dir);
        Assert.Equal(0, user.Code);
        Assert.Contains("Password (shown only now): ", user.Output, StringComparison.Ordinal);

        var clients = await RunAsync("clients", "list", "--data", _dir);
        Assert.Contains("lab-feed\tprivate_key_jwt\tsystem/Observation.cruds\tintegration", clients.Output, StringComparison.Ordinal);
        Assert.Contains("script\tclient_secret_basic", clients.Output, StringComparison.Ordinal);
        var users = await RunAsync("users", "list", "--data", _dir);
        Assert.Equal("dr-who\tPractitioner/7\tclinician\tactive", users.Output.Trim());
        Assert.Equal(1, (await RunAsync("users", "add", "dr-who", "--data", _dir)).Code);

        var app = await MeridianServer.BuildAsync([], new Dictionary<string, string?> { ["Meridian:Port"] = "0", ["Meridian:Data"] = _dir });
        await using (app)
        {
            await app.StartAsync();
            Assert.Null(app.Services.GetService<BootstrapCredentials>());
            var root = MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
            using var http = new HttpClient();
            var response = await OAuth.PostFormAsync(http, root + "/auth/token", OAuth.BackendForm(OAuth.Assertion(key, "lab-feed", root + "/auth/token"), "system/Observation.cruds"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await app.StopAsync();
        }
    }

    [Theory]
    [InlineData("clients", "add", "x")]
    [InlineData("clients", "add", "x", "--secret", "--public")]
    [InlineData("clients", "add", "x", "--public")]
    [InlineData("users", "add", "x", "--store", "postgres")]
    [InlineData("users", "list", "--tenant", "no/slash")]
    public async Task Bad_flags_exit_with_2(params string[] args)
    {
        var result = await RunAsync([.. args, "--data", _dir]);
        Assert.Equal(2, result.Code);
        Assert.NotEmpty(result.Error);
    }

    [Fact]
    public async Task A_private_key_is_refused_as_a_client_jwks()
    {
        var file = Path.Combine(_dir, "private.json");
        await File.WriteAllTextAsync(file, "{\"keys\":[" + JsonWebKey.Generate(JwsAlgorithm.RS384).ToJson() + "]}");
        var result = await RunAsync("clients", "add", "leaky", "--jwks", file, "--data", _dir);
        Assert.Equal(1, result.Code);
        Assert.Contains("private key", result.Error, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}
