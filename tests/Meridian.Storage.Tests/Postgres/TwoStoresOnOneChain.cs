using Meridian.Storage.Postgres;
using Meridian.Storage.Tests.Support;

namespace Meridian.Storage.Tests.Postgres;

/// <summary>
/// Two PostgreSQL store instances on one throwaway database, AuditEvents chained: two server
/// processes appending to the same tenants' audit chains. <see cref="A"/> migrated the database.
/// </summary>
public abstract class TwoStoresOnOneChain : IAsyncLifetime
{
    private PostgresTestDatabase? _database;
    private PostgresFhirStore? _a;
    private PostgresFhirStore? _b;

    protected PostgresTestDatabase Database => _database!;

    protected PostgresFhirStore A => _a!;

    protected PostgresFhirStore B => _b!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        var options = new StoreOptions { ChainedTypes = ["AuditEvent"] };
        _a = PostgresFhirStore.Create(_database.ConnectionString, options);
        await _a.MigrateAsync();
        _b = PostgresFhirStore.Create(_database.ConnectionString, options);
    }

    public async Task DisposeAsync()
    {
        await _a!.DisposeAsync();
        await _b!.DisposeAsync();
        await _database!.DisposeAsync();
    }

    /// <summary>A minimal AuditEvent whose observer names <paramref name="what"/>.</summary>
    protected static ResourceContent Audit(string what) => Examples.Content(
        "{\"resourceType\":\"AuditEvent\",\"type\":{\"system\":\"http://terminology.hl7.org/CodeSystem/audit-event-type\",\"code\":\"rest\"},"
        + "\"recorded\":\"2024-01-01T00:00:00Z\",\"agent\":[{\"requestor\":true}],\"source\":{\"observer\":{\"display\":\"" + what + "\"}}}");
}
