using Npgsql;
using static Meridian.Storage.Tests.Postgres.RowLevelSecurityFixture;

namespace Meridian.Storage.Tests.Postgres;

/// <summary>
/// Row-level security as the second line of tenant isolation (migration 0012): raw SQL on the
/// application role's connections, with no tenant predicate at all, sees and changes only the
/// rows of the tenant the connection is scoped to. The store's own behaviour under RLS is the
/// whole compliance suite (<see cref="PostgresStoreTests"/>, same non-superuser role).
/// </summary>
public sealed class RowLevelSecurityTests(RowLevelSecurityFixture fixture) : IClassFixture<RowLevelSecurityFixture>
{
    [Fact]
    public async Task The_application_role_is_neither_superuser_nor_bypassrls()
    {
        await using var c = await fixture.OpenAppAsync();
        Assert.Equal(fixture.Database.Role, await ScalarAsync<string>(c, "SELECT current_user"));
        Assert.False(await ScalarAsync<bool>(c, "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"));
        Assert.Equal(fixture.Database.Role, await ScalarAsync<string>(c, "SELECT tableowner::text FROM pg_tables WHERE tablename = 'resources'"));
    }

    [Fact]
    public async Task Every_table_with_a_tenant_column_has_forced_row_level_security()
    {
        await using var c = await fixture.OpenAdminAsync();
        var tables = await ListAsync(c, """
            SELECT c.relname || ':' || c.relrowsecurity || ':' || c.relforcerowsecurity || ':' || (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r'
              AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped)
            ORDER BY 1
            """);
        // A new tenant table must get the policies of migration 0012 (and be listed in the fixture).
        Assert.All(tables, t => Assert.Matches(":true:true:[2-9]$", t));
        Assert.Equal(TenantTables.Concat(ModuleTenantTables).Order(StringComparer.Ordinal), tables.Select(t => t.Split(':')[0]));
    }

    [Fact]
    public async Task Every_tenant_table_holds_rows_of_both_tenants()
    {
        // Without this the isolation assertions below could pass on empty tables.
        await using var c = await fixture.OpenAdminAsync();
        foreach (var table in TenantTables)
        {
            Assert.True(await CountAsync(c, table, $"tenant = '{A}'") > 0, $"{table} has no row of {A}");
            Assert.True(await CountAsync(c, table, $"tenant = '{B}'") > 0, $"{table} has no row of {B}");
        }
    }

    [Fact]
    public async Task A_connection_scoped_to_one_tenant_sees_only_that_tenants_rows_in_every_table()
    {
        await using var admin = await fixture.OpenAdminAsync();
        await using var c = await fixture.OpenAppAsync();
        await ExecuteAsync(c, $"SELECT set_config('meridian.tenant', '{A}', false)");
        foreach (var table in TenantTables)
        {
            Assert.Equal(await CountAsync(admin, table, $"tenant = '{A}'"), await CountAsync(c, table, "true"));
            Assert.Equal(0, await CountAsync(c, table, $"tenant <> '{A}'"));
        }
    }

    [Fact]
    public async Task A_connection_scoped_to_one_tenant_cannot_change_another_tenants_rows()
    {
        await using var admin = await fixture.OpenAdminAsync();
        var before = await CountsAsync(admin, B);
        await using var c = await fixture.OpenAppAsync();
        await ExecuteAsync(c, $"SELECT set_config('meridian.tenant', '{A}', false)");
        foreach (var table in TenantTables)
        {
            Assert.Equal(0, await ExecuteAsync(c, $"UPDATE {table} SET tenant = tenant WHERE tenant = '{B}'"));
            Assert.Equal(0, await ExecuteAsync(c, $"DELETE FROM {table} WHERE tenant = '{B}'"));
            // Moving an own row into the other tenant breaks the policy's check: refused.
            var moved = await Assert.ThrowsAsync<PostgresException>(() => InTransactionAsync(c, $"UPDATE {table} SET tenant = '{B}' WHERE tenant = '{A}'"));
            Assert.Equal("42501", moved.SqlState);
        }
        var insert = await Assert.ThrowsAsync<PostgresException>(() => InTransactionAsync(c,
            $"INSERT INTO system_records (tenant, kind, key, version, value, updated) VALUES ('{B}', 'rls-test', 'planted', 1, '\\x00', 0)"));
        Assert.Equal("42501", insert.SqlState);
        Assert.Equal(before, await CountsAsync(admin, B));
    }

    [Fact]
    public async Task A_connection_with_no_tenant_set_sees_nothing()
    {
        await using var c = await fixture.OpenAppAsync();
        // Null on a new backend, '' on one reused from the pool (reset with RESET ALL).
        Assert.True(string.IsNullOrEmpty(await ScalarAsync<string?>(c, "SELECT current_setting('meridian.tenant', true)")));
        foreach (var table in TenantTables)
        {
            Assert.Equal(0, await CountAsync(c, table, "true"));
        }
        // Set and emptied again (what a pooled connection looks like after RESET): still nothing,
        // not even the server-wide records whose tenant is ''.
        await ExecuteAsync(c, "SELECT set_config('meridian.tenant', '', false)");
        foreach (var table in TenantTables)
        {
            Assert.Equal(0, await CountAsync(c, table, "true"));
        }
        Assert.Equal(0, await ExecuteAsync(c, "DELETE FROM resources"));
    }

    [Fact]
    public async Task A_transaction_local_scope_ends_with_its_transaction()
    {
        await using var c = await fixture.OpenAppAsync();
        await using (var tx = await c.BeginTransactionAsync())
        {
            await ExecuteAsync(c, $"SELECT set_config('meridian.tenant', '{A}', true)", tx);
            Assert.True(await CountAsync(c, "resources", "true", tx) > 0);
            await tx.CommitAsync();
        }
        Assert.Equal(0, await CountAsync(c, "resources", "true"));
    }

    [Fact]
    public async Task A_pooled_connection_does_not_carry_a_tenant_to_its_next_user()
    {
        var single = new NpgsqlConnectionStringBuilder(fixture.Database.ConnectionString) { MaxPoolSize = 1, ApplicationName = "rls-pool" }.ConnectionString;
        int firstPid;
        await using (var c = new NpgsqlConnection(single))
        {
            await c.OpenAsync();
            firstPid = c.ProcessID;
            await ExecuteAsync(c, $"SELECT set_config('meridian.tenant', '{A}', false)");
            Assert.True(await CountAsync(c, "resources", "true") > 0);
        }
        await using (var c = new NpgsqlConnection(single))
        {
            await c.OpenAsync();
            Assert.Equal(firstPid, c.ProcessID);
            Assert.Equal(0, await CountAsync(c, "resources", "true"));
            Assert.True(string.IsNullOrEmpty(await ScalarAsync<string?>(c, "SELECT current_setting('meridian.tenant', true)")));
        }
    }

    [Fact]
    public async Task The_server_scope_opens_only_the_server_wide_records()
    {
        await using var c = await fixture.OpenAppAsync();
        await ExecuteAsync(c, "SELECT set_config('meridian.scope', 'server', false)");
        Assert.True(await CountAsync(c, "system_records", "tenant = ''") > 0);
        foreach (var table in TenantTables)
        {
            Assert.Equal(0, await CountAsync(c, table, "tenant <> ''"));
        }
    }

    [Fact]
    public async Task The_feed_scope_reads_every_tenants_changes_and_nothing_else()
    {
        await using var admin = await fixture.OpenAdminAsync();
        await using var c = await fixture.OpenAppAsync();
        await ExecuteAsync(c, "SELECT set_config('meridian.scope', 'feed', false)");
        Assert.Equal(await CountAsync(admin, "changes", "true"), await CountAsync(c, "changes", "true"));
        foreach (var table in TenantTables.Where(t => t != "changes"))
        {
            Assert.Equal(0, await CountAsync(c, table, "true"));
        }
        Assert.Equal(0, await ExecuteAsync(c, "DELETE FROM changes"));
        var insert = await Assert.ThrowsAsync<PostgresException>(() => InTransactionAsync(c,
            $"INSERT INTO changes (tenant, type, id, version, op, at) VALUES ('{A}', 'Patient', 'planted', 1, 0, 0)"));
        Assert.Equal("42501", insert.SqlState);
    }

    [Fact]
    public async Task The_store_reads_across_tenants_only_through_its_system_and_feed_scopes()
    {
        var changes = await fixture.Store.ReadChangesAsync(0, 100_000);
        Assert.Contains(changes, ch => ch.Tenant == A);
        Assert.Contains(changes, ch => ch.Tenant == B);
        Assert.Superset(new HashSet<string> { A, B }, (await fixture.Store.TenantsAsync()).ToHashSet());
        Assert.Superset(new HashSet<string> { A, B }, (await fixture.Store.ChainTenantsAsync(["AuditEvent"])).ToHashSet());
        Assert.Superset(new HashSet<string> { A, B }, (await fixture.Store.ListDataKeysAsync()).Select(k => k.Tenant).ToHashSet());
        Assert.NotNull(await fixture.Store.GetRecordAsync("", "rls-test", "server"));
        Assert.NotNull(await fixture.Store.GetRecordAsync(A, "rls-test", "k"));
        Assert.Null(await fixture.Store.GetRecordAsync(A, "rls-test", "server"));
    }

    private static async Task<Dictionary<string, long>> CountsAsync(NpgsqlConnection c, string tenant)
    {
        var counts = new Dictionary<string, long>();
        foreach (var table in TenantTables)
        {
            counts[table] = await CountAsync(c, table, $"tenant = '{tenant}'");
        }
        return counts;
    }

    private static Task<long> CountAsync(NpgsqlConnection c, string table, string where, NpgsqlTransaction? tx = null) =>
        ScalarAsync<long>(c, $"SELECT count(*) FROM {table} WHERE {where}", tx);

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection c, string sql, NpgsqlTransaction? tx = null)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        var value = await cmd.ExecuteScalarAsync();
        return value is DBNull or null ? default! : (T)value;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection c, string sql, NpgsqlTransaction? tx = null)
    {
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        return await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Runs a statement expected to fail in a transaction of its own, so the
    /// connection stays usable afterwards.</summary>
    private static async Task InTransactionAsync(NpgsqlConnection c, string sql)
    {
        await using var tx = await c.BeginTransactionAsync();
        await ExecuteAsync(c, sql, tx);
        await tx.CommitAsync();
    }

    private static async Task<List<string>> ListAsync(NpgsqlConnection c, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, c);
        await using var reader = await cmd.ExecuteReaderAsync();
        var list = new List<string>();
        while (await reader.ReadAsync())
        {
            list.Add(reader.GetString(0));
        }
        return list;
    }
}
