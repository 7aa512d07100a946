using BenchmarkDotNet.Attributes;
using Meridian.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Meridian.Bench;

/// <summary>
/// The SQLite store's per-row INSERT: a re-executed <see cref="SqliteCommand"/> (parameters
/// bound by name on every execution, the write path before 2026-11-22) against
/// <see cref="SqliteRowInserter"/> (one raw prepared statement, bound by position). 1,000
/// token-index rows (9 columns, as the write path builds them) per operation in an in-memory
/// database, rolled back after each operation, so only the CPU of binding, stepping and the
/// B-tree insert is measured (no fsync).
///
///     dotnet run -c Release --project bench/Meridian.Bench -- --filter '*SqliteInsert*'
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class SqliteInsertBenchmarks : IDisposable
{
    private const string Sql = "INSERT INTO token_index (tenant, resource_key, type, param, system, code, text_norm, type_system, type_code) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8)";
    private const int Rows = 1000;

    private SqliteConnection _db = null!;
    private SqliteCommand _command = null!;
    private SqliteParameter[] _parameters = null!;
    private SqliteRowInserter _inserter = null!;
    private object?[][] _rows = null!;

    [GlobalSetup]
    public void Setup()
    {
        _db = new SqliteConnection("Data Source=:memory:");
        _db.Open();
        using (var ddl = _db.CreateCommand())
        {
            ddl.CommandText = "CREATE TABLE token_index (tenant TEXT NOT NULL, resource_key INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL, system TEXT, code TEXT, text_norm TEXT, type_system TEXT, type_code TEXT);"
                + "CREATE INDEX ix_token ON token_index (tenant, type, param, code, system);";
            ddl.ExecuteNonQuery();
        }
        _command = _db.CreateCommand();
        _command.CommandText = Sql;
        _parameters = new SqliteParameter[9];
        for (var i = 0; i < 9; i++)
        {
            _parameters[i] = _command.Parameters.Add(new SqliteParameter { ParameterName = "$" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        _inserter = new SqliteRowInserter(_db, Sql, 9);
        _rows = new object?[Rows][];
        for (var r = 0; r < Rows; r++)
        {
            _rows[r] = ["", (long)r, "Observation", r % 3 == 0 ? "code" : "category", "http://loinc.org", "8867-" + (r % 50).ToString(System.Globalization.CultureInfo.InvariantCulture), r % 2 == 0 ? "heart rate" : null, null, null];
        }
    }

    [Benchmark(Baseline = true)]
    public void Command()
    {
        using var tx = _db.BeginTransaction();
        _command.Transaction = tx;
        foreach (var row in _rows)
        {
            for (var i = 0; i < _parameters.Length; i++)
            {
                _parameters[i].Value = row[i] ?? DBNull.Value;
            }
            _command.ExecuteNonQuery();
        }
        tx.Rollback();
    }

    [Benchmark]
    public void Raw()
    {
        using var tx = _db.BeginTransaction();
        foreach (var row in _rows)
        {
            _inserter.TryInsert(row);
        }
        tx.Rollback();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _inserter?.Dispose();
        _command?.Dispose();
        _db?.Dispose();
        GC.SuppressFinalize(this);
    }
}
