using Npgsql;

namespace Meridian.Cli.Import;

/// <summary>
/// ANALYZE after a bulk load into PostgreSQL. Measured on the 100 Synthea bundles: right after
/// the load (before autovacuum's first analyze) <c>Observation?patient=…&amp;code=…</c> ran past
/// Npgsql's 30 s command timeout on the empty statistics; after ANALYZE (1.5 s) it takes 50 ms.
/// The store has no maintenance call yet, so the importer issues it on the same database.
/// </summary>
public static class PostgresStatistics
{
    public static async Task AnalyzeAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("ANALYZE", connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
