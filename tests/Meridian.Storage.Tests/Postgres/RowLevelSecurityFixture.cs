using Meridian.Storage.Postgres;
using Meridian.Storage.Protection;
using Meridian.Storage.Tests.Support;
using Npgsql;

namespace Meridian.Storage.Tests.Postgres;

/// <summary>
/// One PostgreSQL database (owned by a non-superuser role without BYPASSRLS, see
/// <see cref="PostgresTestDatabase"/>) with rows of two tenants in EVERY tenant table: the
/// official examples (all index tables, changes, audit chain), a conditional-create claim,
/// data keys (encryption on), and platform records per tenant and server-wide.
/// </summary>
public sealed class RowLevelSecurityFixture : IAsyncLifetime
{
    public const string A = "rls-a";
    public const string B = "rls-b";

    /// <summary>Every table with a tenant column after migration 0012.</summary>
    public static readonly string[] TenantTables =
    [
        "resources", "token_index", "string_index", "reference_index", "date_index", "number_index", "quantity_index",
        "uri_index", "composite_index", "position_index", "changes", "conditional_keys", "system_records", "audit_chain", "data_keys",
        "date_envelope",
    ];

    /// <summary>Tables that modules keep beside the FHIR data (subscriptions 0010, HL7 v2 inbox 0011),
    /// under the same policies since migration 0013. The store never writes them, so the row
    /// assertions here cover <see cref="TenantTables"/>; the modules' own PostgreSQL tests run on them.</summary>
    public static readonly string[] ModuleTenantTables = ["subscription_state", "subscription_events", "hl7_inbox", "hl7_errors", "hl7_key_leases"];

    private PostgresTestDatabase? _database;

    public PostgresFhirStore Store { get; private set; } = null!;

    /// <summary>The store's options (its master key), for further stores over the same database.</summary>
    public StoreOptions Options { get; private set; } = null!;

    public PostgresTestDatabase Database => _database!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        Options = new StoreOptions
        {
            ChainedTypes = ["AuditEvent"],
            Protector = new EnvelopeProtector(MasterKey.Generate()),
        };
        Store = PostgresFhirStore.Create(_database.ConnectionString, Options);
        await Store.MigrateAsync();
        foreach (var tenant in new[] { A, B })
        {
            var examples = await Store.TransactAsync(tenant, Examples.All);
            Assert.True(examples.Succeeded, examples.Failure?.Message);
            var claim = await Store.TransactAsync(tenant, [new CreateOperation("Patient", Examples.Patient("Claimed")) { ConditionalKey = "identifier=x|1" }]);
            Assert.True(claim.Succeeded, claim.Failure?.Message);
            Assert.Equal(1, await Store.PutRecordAsync(tenant, "rls-test", "k", "v"u8.ToArray(), Records.SystemRecord.Absent));
        }
        Assert.Equal(1, await Store.PutRecordAsync("", "rls-test", "server", "v"u8.ToArray(), Records.SystemRecord.Absent));
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await _database!.DisposeAsync();
    }

    /// <summary>A raw connection as the application role, with nothing set.</summary>
    public async Task<NpgsqlConnection> OpenAppAsync()
    {
        var c = new NpgsqlConnection(_database!.ConnectionString);
        await c.OpenAsync();
        return c;
    }

    /// <summary>A raw connection as the superuser (bypasses row-level security).</summary>
    public async Task<NpgsqlConnection> OpenAdminAsync()
    {
        var c = new NpgsqlConnection(_database!.AdminConnectionString);
        await c.OpenAsync();
        return c;
    }
}
