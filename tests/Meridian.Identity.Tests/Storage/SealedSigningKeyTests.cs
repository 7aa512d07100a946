using System.Net;
using System.Text;
using Meridian.Identity.Accounts;
using Meridian.Identity.Jose;
using Meridian.Identity.Tests.Support;
using Meridian.Identity.Tokens;
using Meridian.Server;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Records;
using Meridian.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Meridian.Identity.Tests.Storage;

/// <summary>
/// The token-signing key is stored sealed under the master key (docs/encryption.md): the raw
/// row never holds the private key, tokens issued before a restart still verify after it, and a
/// key stored in plaintext by an older server is re-sealed at start and keeps signing. Real
/// servers over HTTP on 127.0.0.1, both stores.
/// </summary>
public abstract class SealedSigningKeyTests
{
    protected abstract TestServerStore NewStore();

    /// <summary>Every stored signing-key row, straight from the table.</summary>
    protected abstract Task<IReadOnlyList<string>> RawRowsAsync(TestServerStore store);

    /// <summary>The store as an older server would have opened it, to plant a plaintext key.</summary>
    protected abstract Task<IFhirStore> OpenPlainAsync(TestServerStore store);

    [Fact]
    public async Task The_raw_row_holds_no_private_key_and_tokens_verify_after_a_restart()
    {
        await using var store = NewStore();
        var settings = await store.SettingsAsync();
        string token, kid, privateD, port;
        await using (var first = await StartAsync(settings))
        {
            port = first.Root[(first.Root.LastIndexOf(':') + 1)..];
            var ring = first.App.Services.GetRequiredService<SigningKeyRing>();
            kid = ring.Current.Kid!;
            privateD = Base64UrlText.Encode(ring.Current.D!);
            token = await TokenAsync(first);
            Assert.Equal(HttpStatusCode.OK, await ReadAsync(first, token));
        }

        var rows = await RawRowsAsync(store);
        Assert.Single(rows);
        Assert.DoesNotContain(privateD, rows[0], StringComparison.Ordinal);
        Assert.DoesNotContain("\"d\"", rows[0], StringComparison.Ordinal);
        Assert.Contains("\"sealed\":1", rows[0], StringComparison.Ordinal);

        // Same port: the token's issuer and audience are the server's URL.
        await using var second = await StartAsync(settings, port);
        Assert.Equal(kid, second.App.Services.GetRequiredService<SigningKeyRing>().Current.Kid);
        Assert.Equal(HttpStatusCode.OK, await ReadAsync(second, token)); // issued by the first process
    }

    [Fact]
    public async Task A_plaintext_key_from_an_older_server_is_sealed_at_start_and_keeps_signing()
    {
        await using var store = NewStore();
        var settings = await store.SettingsAsync();
        var legacy = JsonWebKey.Generate(JwsAlgorithm.RS256);
        var plain = await OpenPlainAsync(store);
        try
        {
            Assert.NotNull(await ((ISystemRecordStore)plain).PutRecordAsync(SystemRecord.ServerWide, SigningKeyRing.Kind, legacy.Kid!, Encoding.UTF8.GetBytes(legacy.ToJson()), SystemRecord.Absent));
        }
        finally
        {
            await ((IAsyncDisposable)plain).DisposeAsync();
        }
        var legacyD = Base64UrlText.Encode(legacy.D!);
        Assert.Contains(legacyD, (await RawRowsAsync(store))[0], StringComparison.Ordinal);

        await using (var server = await StartAsync(settings))
        {
            var token = await TokenAsync(server);
            Assert.Equal(legacy.Kid, Header(token)); // the old key still signs
            Assert.Equal(HttpStatusCode.OK, await ReadAsync(server, token));
        }
        var rows = await RawRowsAsync(store);
        Assert.Single(rows);
        Assert.DoesNotContain(legacyD, rows[0], StringComparison.Ordinal);
        Assert.Contains("\"sealed\":1", rows[0], StringComparison.Ordinal);
    }

    private static string? Header(string jwt)
    {
        Assert.True(Base64UrlText.TryDecode(jwt.Split('.')[0], out var bytes));
        using var doc = System.Text.Json.JsonDocument.Parse(bytes);
        return doc.RootElement.GetProperty("kid").GetString();
    }

    private sealed class Running(WebApplication app, string root) : IAsyncDisposable
    {
        public WebApplication App { get; } = app;

        public string Root { get; } = root;

        public HttpClient Http { get; } = new();

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }

    private static async Task<Running> StartAsync(Dictionary<string, string?> settings, string port = "0")
    {
        var app = await MeridianServer.BuildAsync([], new Dictionary<string, string?>(settings) { ["Meridian:Port"] = port });
        await app.StartAsync();
        return new Running(app, MeridianServer.Addresses(app).First(a => a.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
    }

    /// <summary>A Backend Services token for a client registered on this server.</summary>
    private static async Task<string> TokenAsync(Running server)
    {
        var key = JsonWebKey.Generate(JwsAlgorithm.ES384);
        var clientId = "sealed-" + Guid.NewGuid().ToString("N")[..8];
        var added = await ClientAdmin.AddAsync(server.App.Services.GetRequiredService<IdentityStore>(), "default", new NewClient
        {
            ClientId = clientId, Jwks = new JsonWebKeySet([key]).ToJson(), Scopes = ["system/*.rs"], Roles = ["integration"],
        }, TimeProvider.System, CancellationToken.None);
        Assert.True(added.IsSuccess, added.Error?.ToString());
        var tokenUrl = server.Root + "/auth/token";
        var response = await OAuth.PostFormAsync(server.Http, tokenUrl, OAuth.BackendForm(OAuth.Assertion(key, clientId, tokenUrl)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await OAuth.JsonAsync(response)).GetProperty("access_token").GetString()!;
    }

    private static async Task<HttpStatusCode> ReadAsync(Running server, string token) =>
        (await OAuth.GetAsync(server.Http, server.Root + "/fhir/Patient?_count=1", token)).StatusCode;
}

public sealed class SqliteSealedSigningKeyTests : SealedSigningKeyTests
{
    protected override TestServerStore NewStore() => TestServerStore.Sqlite("meridian-sealed-key-");

    protected override async Task<IReadOnlyList<string>> RawRowsAsync(TestServerStore store)
    {
        var path = Path.Combine(((SqliteTestServerStore)store).Directory, "meridian.db");
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM system_records WHERE kind = 'signing-key'";
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(Encoding.UTF8.GetString((byte[])reader[0]));
        }
        return rows;
    }

    protected override async Task<IFhirStore> OpenPlainAsync(TestServerStore store)
    {
        var plain = new SqliteFhirStore(Path.Combine(((SqliteTestServerStore)store).Directory, "meridian.db"));
        await plain.MigrateAsync();
        return plain;
    }
}

public sealed class PostgresSealedSigningKeyTests : SealedSigningKeyTests
{
    protected override TestServerStore NewStore() => TestServerStore.Postgres();

    protected override async Task<IReadOnlyList<string>> RawRowsAsync(TestServerStore store)
    {
        // As the database owner: row-level security would hide server-wide rows from a plain session.
        await using var connection = new Npgsql.NpgsqlConnection(((PostgresTestServerStore)store).AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT value FROM system_records WHERE kind = 'signing-key'", connection);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(Encoding.UTF8.GetString((byte[])reader[0]));
        }
        return rows;
    }

    protected override async Task<IFhirStore> OpenPlainAsync(TestServerStore store)
    {
        var plain = PostgresFhirStore.Create(((PostgresTestServerStore)store).ConnectionString);
        await plain.MigrateAsync();
        return plain;
    }
}
