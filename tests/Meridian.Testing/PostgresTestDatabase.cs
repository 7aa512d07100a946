using Npgsql;

namespace Meridian.Testing;

/// <summary>
/// A database of its own on the test cluster (MERIDIAN_TEST_PG, started by test.sh), dropped on
/// dispose, so test classes never see each other's rows. Missing MERIDIAN_TEST_PG is an error,
/// not a skip: the PostgreSQL tests must run wherever the suite runs.
/// <para>
/// The database belongs to a login role of its own, made like a production application role:
/// not a superuser and without BYPASSRLS, so row-level security (migration 0012) binds every
/// store and server the tests run on <see cref="ConnectionString"/>. Tests that inspect or
/// tamper with rows behind the store's back (as a database administrator would) use
/// <see cref="AdminConnectionString"/>, the cluster's superuser on the same database.
/// </para>
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    private readonly string _admin;
    private readonly string _name;

    private PostgresTestDatabase(string admin, string name)
    {
        _admin = admin;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name, Username = name, Password = null }.ConnectionString;
        AdminConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    /// <summary>The application role (owner of the database, subject to row-level security).</summary>
    public string ConnectionString { get; }

    /// <summary>The cluster's superuser on this database: bypasses row-level security.</summary>
    public string AdminConnectionString { get; }

    /// <summary>The application role's name (also the database's).</summary>
    public string Role => _name;

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var admin = Environment.GetEnvironmentVariable("MERIDIAN_TEST_PG");
        if (string.IsNullOrEmpty(admin))
        {
            throw new InvalidOperationException("MERIDIAN_TEST_PG is not set: start a cluster with `eval \"$(scripts/pg-test-cluster.sh start)\"` (test.sh does this)");
        }
        var name = "meridian_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            // The test cluster trusts local connections, so the role needs no password.
            await using (var role = new NpgsqlCommand($"CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE", connection))
            {
                await role.ExecuteNonQueryAsync();
            }
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name} OWNER {name}", connection);
            await cmd.ExecuteNonQueryAsync();
        }
        return new PostgresTestDatabase(admin, name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using (var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection))
        {
            await cmd.ExecuteNonQueryAsync();
        }
        await using var role = new NpgsqlCommand($"DROP ROLE IF EXISTS {_name}", connection);
        await role.ExecuteNonQueryAsync();
    }
}
