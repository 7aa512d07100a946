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
            // A bulk copy of benchmark data: no fsync per copy (a crash loses only the copy in
            // progress, which harness_growth does not count yet) and a 1 GiB page cache.
            await ExecAsync(c, null, "PRAGMA busy_timeout=60000; PRAGMA cache_size=-1048576; PRAGMA synchronous=OFF;", ct).ConfigureAwait(false);
        }
        else
        {
            await ExecAsync(c, null, "SET synchronous_commit = off; SET maintenance_work_mem = '512MB'", ct).ConfigureAwait(false);
        }
        await ExecAsync(c, null, "CREATE TABLE IF NOT EXISTS harness_dropped_indexes (name text NOT NULL, ddl text NOT NULL)", ct).ConfigureAwait(false);
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

    /// <summary>The largest key in use: copies, and what the server wrote meanwhile (the
    /// AuditEvents of measured searches), lie below it.</summary>
    public async Task<long> MaxKeyAsync(CancellationToken ct) =>
        Convert.ToInt64(await ScalarAsync("SELECT coalesce(max(resource_key), 0) FROM resources", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);

    /// <summary>
    /// Adds copy <paramref name="copy"/> (≥ 1) of the rows with keys ≤ <paramref name="stride"/>,
    /// in one transaction, their keys moved by <paramref name="offset"/> (≥ the largest key in
    /// use: a run that measured searches has written AuditEvents above the earlier copies, so
    /// k·stride would collide with them).
    /// </summary>
    public async Task CopyAsync(int copy, long stride, long offset, CancellationToken ct)
    {
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

    /// <summary>
    /// Drops the secondary indexes of the resource and index tables (their DDL saved in
    /// <c>harness_dropped_indexes</c>) so the copies append rows instead of inserting into a
    /// dozen B-trees that stop fitting in memory (SQLite went from 15 s to over 100 s per copy);
    /// <see cref="RestoreIndexesAsync"/> builds them again by sorting, once. Indexes behind
    /// constraints (primary keys) stay. Returns how many were dropped.
    /// </summary>
    public async Task<int> DropIndexesAsync(CancellationToken ct)
    {
        var tables = string.Join(", ", IndexTables.All.Select(t => $"'{t.Name}'").Prepend("'resources'"));
        var sql = postgres
            ? $"SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() AND i.tablename IN ({tables}) " +
              "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)"
            : $"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({tables})";
        var found = new List<(string Name, string Ddl)>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = sql;
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                found.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        foreach (var (name, ddl) in found)
        {
            await using (var save = connection.CreateCommand())
            {
                save.Transaction = tx;
                save.CommandText = "INSERT INTO harness_dropped_indexes (name, ddl) VALUES (@n, @d)";
                AddParameter(save, "@n", name);
                AddParameter(save, "@d", ddl);
                await save.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await ExecAsync(connection, tx, $"DROP INDEX {name}", ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return found.Count;
    }

    /// <summary>Builds the indexes <see cref="DropIndexesAsync"/> dropped (also after an interrupted run).</summary>
    public async Task<int> RestoreIndexesAsync(CancellationToken ct)
    {
        var saved = new List<(string Name, string Ddl)>();
        await using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT name, ddl FROM harness_dropped_indexes";
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                saved.Add((reader.GetString(0), reader.GetString(1)));
            }
        }
        foreach (var (name, ddl) in saved)
        {
            await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await ExecAsync(connection, tx, ddl, ct).ConfigureAwait(false);
            await using (var done = connection.CreateCommand())
            {
                done.Transaction = tx;
                done.CommandText = "DELETE FROM harness_dropped_indexes WHERE name = @n";
                AddParameter(done, "@n", name);
                await done.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        return saved.Count;
    }

    private static void AddParameter(DbCommand cmd, string name, string value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
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
