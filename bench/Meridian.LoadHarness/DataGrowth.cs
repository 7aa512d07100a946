using System.Data.Common;
using System.Globalization;
using Meridian.Storage.Relational;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Meridian.LoadHarness;

/// <summary>
/// Grows the data to 10⁵–10⁶ resources in minutes instead of hours: copies the rows of what the
/// HTTP ingest loaded (copy 0) inside the database, <c>INSERT … SELECT</c> per table and copy,
/// with remapped identities. Copy k gets resource_key + k·stride, id + "-c{k}", references to
/// the remapped ids, family names with <see cref="SyntheaCorpus.FamilySuffix"/>(k) and every
/// date index row moved k·7 days (open ends stay open), the same variation the HTTP copies get,
/// so searches stay as selective per copy as on the original. The stored JSON is copied as is
/// (ids and dates inside it are those of copy 0): searches read index rows, and only the page's
/// JSON is returned. The change feed is not copied. Benchmark data only: it bypasses the store's
/// write path on purpose (that path is measured by the ingest scenario).
/// </summary>
internal sealed class DataGrowth(DbConnection connection, bool postgres)
{
    private const long TicksPerWeek = 7 * TimeSpan.TicksPerDay;
    private static readonly long s_maxTicks = DateTimeOffset.MaxValue.UtcTicks;

    public static async Task<DataGrowth> OpenAsync(string? sqliteFile, string? postgres, CancellationToken ct)
    {
        DbConnection c = sqliteFile is not null ? new SqliteConnection("Data Source=" + sqliteFile + ";Pooling=False") : new NpgsqlConnection(postgres);
        await c.OpenAsync(ct).ConfigureAwait(false);
        if (sqliteFile is not null)
        {
            await ExecAsync(c, null, "PRAGMA busy_timeout=60000; PRAGMA cache_size=-262144;", ct).ConfigureAwait(false);
        }
        return new DataGrowth(c, sqliteFile is null);
    }

    public DbConnection Connection => connection;

    /// <summary>The largest key: copies use multiples of it as offsets, so they never collide with copy 0.</summary>
    public async Task<long> StrideAsync(CancellationToken ct) =>
        Convert.ToInt64(await ScalarAsync("SELECT coalesce(max(resource_key), 0) FROM resources", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);

    /// <summary>Ids of the current Patients among the source rows (keys ≤ stride).</summary>
    public async Task<IReadOnlyList<string>> PatientIdsAsync(long stride, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT id FROM resources WHERE type = 'Patient' AND is_current = {(postgres ? "true" : "1")} AND resource_key <= {stride}";
        var ids = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>Adds copy <paramref name="copy"/> (≥ 1) of the rows with keys ≤ <paramref name="stride"/>, in one transaction.</summary>
    public async Task CopyAsync(int copy, long stride, CancellationToken ct)
    {
        var offset = (long)copy * stride;
        var suffix = SyntheaCorpus.FamilySuffix(copy);
        var idSuffix = "-c" + copy.ToString(CultureInfo.InvariantCulture);
        var shift = copy * TicksPerWeek;
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        var source = $" WHERE resource_key <= {stride}";
        await ExecAsync(connection, tx,
            "INSERT INTO resources (tenant, type, id, version, resource_key, last_updated, deleted, is_current, json, content_hash) " +
            $"SELECT tenant, type, id || '{idSuffix}', version, resource_key + {offset}, last_updated, deleted, is_current, json, content_hash FROM resources" + source, ct).ConfigureAwait(false);
        foreach (var table in IndexTables.All)
        {
            var select = table.Columns.Select(c => (table.Name, c) switch
            {
                (_, "resource_key") => $"resource_key + {offset}",
                ("reference_index", "ref_id") => $"ref_id || '{idSuffix}'",
                ("string_index", "value" or "norm") => $"CASE WHEN type = 'Patient' AND param = 'family' THEN {c} || '{suffix}' ELSE {c} END",
                ("date_index", "low") => $"CASE WHEN low <= 0 THEN low ELSE low + {shift} END",
                ("date_index", "high") => $"CASE WHEN high >= {s_maxTicks - shift} THEN high ELSE high + {shift} END",
                _ => c,
            });
            await ExecAsync(connection, tx,
                $"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) SELECT {string.Join(", ", select)} FROM {table.Name}" + source, ct).ConfigureAwait(false);
        }
        if (postgres)
        {
            // The store allocates keys from this sequence; later writes must land above the copies.
            await ExecAsync(connection, tx, "SELECT setval('resource_keys', (SELECT max(resource_key) FROM resources))", ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    private async Task<object?> ScalarAsync(string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private static async Task ExecAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.CommandTimeout = 3600;
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
