using Npgsql;

namespace Meridian.Testing;

/// <summary>
/// A database of its own on the test cluster (MERIDIAN_TEST_PG, started by test.sh), dropped on
/// dispose, so test classes never see each other's rows. Missing MERIDIAN_TEST_PG is an error,
/// not a skip: the PostgreSQL tests must run wherever the suite runs.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    private readonly string _admin;
    private readonly string _name;

    private PostgresTestDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        _name = name;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

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
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await cmd.ExecuteNonQueryAsync();
        }
        return new PostgresTestDatabase(admin, name, new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", connection);
        await cmd.ExecuteNonQueryAsync();
    }
}
