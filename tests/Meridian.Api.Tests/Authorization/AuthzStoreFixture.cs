using System.Text;
using System.Text.Json.Nodes;
using Meridian.Fhir.Serialization;
using Meridian.Storage;
using Meridian.Storage.Postgres;
using Meridian.Storage.Sqlite;

namespace Meridian.Api.Tests.Authorization;

/// <summary>
/// One real store (SQLite file or a throwaway PostgreSQL database) and a <see cref="FhirApi"/>
/// over it, shared by a test class. Data is seeded straight into the store (authorization is not
/// what seeding tests), and every test isolates itself in tenants of its own.
/// </summary>
public abstract class AuthzStoreFixture : IAsyncLifetime
{
    public IFhirStore Store { get; private set; } = null!;

    public FhirApi Api { get; private set; } = null!;

    protected abstract Task<IFhirStore> OpenAsync();

    protected virtual Task CloseAsync() => Task.CompletedTask;

    public async Task InitializeAsync()
    {
        Store = await OpenAsync();
        await Store.MigrateAsync();
        Api = new FhirApi(Store);
    }

    public async Task DisposeAsync()
    {
        if (Store is IAsyncDisposable d)
        {
            await d.DisposeAsync();
        }
        await CloseAsync();
    }

    /// <summary>Stores <paramref name="json"/> as <c>type/id</c> in <paramref name="tenant"/> (bypassing the API).</summary>
    public async Task SeedAsync(string tenant, string json, string? id = null)
    {
        var parsed = FhirJsonParser.R4.Parse(Encoding.UTF8.GetBytes(json));
        Assert.NotNull(parsed.Resource);
        var resource = parsed.Resource!;
        id ??= Guid.NewGuid().ToString();
        var result = await Store.TransactAsync(tenant, [new UpdateOperation(resource.TypeName, id, ResourceContent.From(resource))]);
        Assert.True(result.Succeeded, result.Failure?.Message);
    }

    public Task<FhirResponse> SendAsync(Caller caller, string tenant, string method, string path, string? body = null,
        IEnumerable<KeyValuePair<string, string>>? query = null, FhirRequestHeaders? headers = null) =>
        Api.HandleAsync(new FhirRequest(method, path)
        {
            Tenant = tenant,
            Caller = caller,
            BaseUrl = $"http://test/t/{tenant}/fhir",
            Body = body is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(body),
            Query = query is null ? [] : [.. query],
            Headers = headers ?? new FhirRequestHeaders { ContentType = body is null ? null : "application/fhir+json" },
        });

    /// <summary>"Type/id" of every entry of a Bundle answer (all search modes).</summary>
    public static List<string> EntryIds(FhirResponse response)
    {
        var bundle = JsonNode.Parse(response.Body.Span)!;
        return bundle["entry"]?.AsArray()
            .Select(e => e!["resource"])
            .Where(r => r is not null && r["resourceType"]!.GetValue<string>() != "OperationOutcome")
            .Select(r => $"{r!["resourceType"]!.GetValue<string>()}/{r["id"]!.GetValue<string>()}")
            .ToList() ?? [];
    }

    public static string Text(FhirResponse response) => Encoding.UTF8.GetString(response.Body.Span);
}

public sealed class SqliteAuthzFixture : AuthzStoreFixture
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meridian-authz-").FullName;

    protected override Task<IFhirStore> OpenAsync() => Task.FromResult<IFhirStore>(new SqliteFhirStore(Path.Combine(_dir, "m.db")));

    protected override Task CloseAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }
}

public sealed class PostgresAuthzFixture : AuthzStoreFixture
{
    private PostgresTestDatabase? _database;

    public string ConnectionString => _database!.ConnectionString;

    protected override async Task<IFhirStore> OpenAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        return PostgresFhirStore.Create(_database.ConnectionString);
    }

    protected override async Task CloseAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
