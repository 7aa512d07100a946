using Meridian.Storage.Postgres;
using Meridian.Storage.Search;
using Npgsql;
using static Meridian.Storage.Tests.Postgres.RowLevelSecurityFixture;

namespace Meridian.Storage.Tests.Postgres;

/// <summary>
/// Reads, searches and the change feed enter their data scope in the same round trip as their
/// first statement (<c>CALL meridian_enter_scope(…); statement</c>, migration 0019) instead of
/// a set_config round trip of their own. Row-level security must stay exactly as strict: these
/// tests run the store on a pool of ONE physical connection, shared with raw connections, so
/// every read reuses the connection the previous user (another tenant) left behind.
/// </summary>
public sealed class ScopeWithFirstStatementTests(RowLevelSecurityFixture fixture) : IClassFixture<RowLevelSecurityFixture>
{
    [Fact]
    public async Task A_pooled_connection_never_carries_the_previous_tenant_into_a_read()
    {
        // No reset on close: what one user sets stays on the physical connection for the next,
        // the worst case for a scope that is entered lazily.
        await using var dataSource = SingleConnection(noReset: true);
        await using var store = new PostgresFhirStore(dataSource, fixture.Options);
        var aPatients = await PatientsAsync(fixture.Store, A);
        var bPatients = await PatientsAsync(fixture.Store, B);
        Assert.NotEmpty(aPatients);
        Assert.NotEmpty(bPatients);
        int pid;
        await using (var raw = await dataSource.OpenConnectionAsync())
        {
            pid = raw.ProcessID;
            await ExecuteAsync(raw, $"SELECT set_config('meridian.tenant', '{A}', false)");
            Assert.True(await CountAsync(raw, "resources") > 0);
        }

        // The connection still says tenant A; the read as B replaces it in its own command.
        var read = await store.ReadAsync(B, "Patient", bPatients[0]);
        Assert.NotNull(read);
        Assert.Null(await store.ReadAsync(B, "Patient", aPatients[0]));
        Assert.Equal(bPatients, await PatientsAsync(store, B));
        await using (var raw = await dataSource.OpenConnectionAsync())
        {
            Assert.Equal(pid, raw.ProcessID);
            Assert.Equal(B, await ScalarAsync<string>(raw, "SELECT current_setting('meridian.tenant', true)"));
            Assert.Equal(await AdminCountAsync($"tenant = '{B}'"), await CountAsync(raw, "resources"));
        }

        // And back to A on the very same physical connection.
        Assert.NotNull(await store.ReadAsync(A, "Patient", aPatients[0]));
        Assert.Null(await store.ReadAsync(A, "Patient", bPatients[0]));
        Assert.Equal(aPatients, await PatientsAsync(store, A));
    }

    [Fact]
    public async Task Reads_through_the_store_leave_nothing_on_a_pooled_connection()
    {
        await using var dataSource = SingleConnection(noReset: false);
        await using var store = new PostgresFhirStore(dataSource, fixture.Options);
        var aPatients = await PatientsAsync(store, A);
        Assert.NotEmpty(aPatients);
        Assert.NotNull(await store.ReadAsync(A, "Patient", aPatients[0]));
        Assert.NotEmpty(await store.ReadChangesAsync(0, 10));
        await using var raw = await dataSource.OpenConnectionAsync();
        Assert.True(string.IsNullOrEmpty(await ScalarAsync<string?>(raw, "SELECT current_setting('meridian.tenant', true)")));
        Assert.True(string.IsNullOrEmpty(await ScalarAsync<string?>(raw, "SELECT current_setting('meridian.scope', true)")));
        Assert.Equal(0, await CountAsync(raw, "resources"));
        Assert.Equal(0, await CountAsync(raw, "changes"));
    }

    [Fact]
    public async Task A_scope_entered_with_a_failing_statement_is_rolled_back_with_it()
    {
        await using var dataSource = SingleConnection(noReset: true);
        await using var raw = await dataSource.OpenConnectionAsync();
        await using (var cmd = new NpgsqlCommand("CALL meridian_enter_scope(@p0, ''); SELECT 1 / (@p1 - 1)", raw))
        {
            cmd.Parameters.AddWithValue("p0", A);
            cmd.Parameters.AddWithValue("p1", 1);
            var failed = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteScalarAsync());
            Assert.Equal("22012", failed.SqlState);
        }
        Assert.Equal(0, await CountAsync(raw, "resources"));
        await using (var cmd = new NpgsqlCommand("CALL meridian_enter_scope(@p0, ''); SELECT count(*) FROM resources", raw))
        {
            cmd.Parameters.AddWithValue("p0", A);
            Assert.Equal(await AdminCountAsync($"tenant = '{A}'"), (long)(await cmd.ExecuteScalarAsync())!);
        }
    }

    [Fact]
    public async Task The_feed_scope_entered_with_the_statement_reads_every_tenant_and_nothing_else()
    {
        await using var dataSource = SingleConnection(noReset: true);
        await using var store = new PostgresFhirStore(dataSource, fixture.Options);
        var changes = await store.ReadChangesAsync(0, 100_000);
        Assert.Contains(changes, ch => ch.Tenant == A);
        Assert.Contains(changes, ch => ch.Tenant == B);
        await using var raw = await dataSource.OpenConnectionAsync();
        Assert.Equal("feed", await ScalarAsync<string>(raw, "SELECT current_setting('meridian.scope', true)"));
        Assert.Equal(0, await CountAsync(raw, "resources"));
    }

    private NpgsqlDataSource SingleConnection(bool noReset) => NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString)
    {
        MaxPoolSize = 1,
        NoResetOnClose = noReset,
        ApplicationName = noReset ? "rls-scope-noreset" : "rls-scope",
    }.ConnectionString);

    private static async Task<List<string>> PatientsAsync(IFhirStore store, string tenant)
    {
        var result = await store.SearchAsync(tenant, new SearchQuery("Patient") { Count = 1000 });
        Assert.All(result.Matches, m => Assert.Equal(tenant, m.Tenant));
        return [.. result.Matches.Select(m => m.Id).Order(StringComparer.Ordinal)];
    }

    private async Task<long> AdminCountAsync(string where)
    {
        await using var admin = await fixture.OpenAdminAsync();
        return await ScalarAsync<long>(admin, $"SELECT count(*) FROM resources WHERE {where}");
    }

    private static Task<long> CountAsync(NpgsqlConnection c, string table) => ScalarAsync<long>(c, $"SELECT count(*) FROM {table}");

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        var value = await cmd.ExecuteScalarAsync();
        return value is DBNull or null ? default! : (T)value;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        return await cmd.ExecuteNonQueryAsync();
    }
}
