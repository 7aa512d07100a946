using Meridian.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Meridian.Storage.Tests.Sqlite;

/// <summary>
/// The raw prepared INSERT of the SQLite write path stores exactly what the
/// <see cref="SqliteCommand"/> path stored (same values, same storage classes) and fails the
/// same way (<see cref="SqliteException"/> with SQLite's code).
/// </summary>
public sealed class SqliteRowInserterTests : IDisposable
{
    private readonly SqliteConnection _db = new("Data Source=:memory:");

    public SqliteRowInserterTests()
    {
        _db.Open();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "CREATE TABLE raw_rows (k INTEGER PRIMARY KEY, a, b, c, d, e); CREATE TABLE cmd_rows (k INTEGER PRIMARY KEY, a, b, c, d, e);";
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _db.Dispose();

    public static TheoryData<object?> Values() =>
    [
        null, DBNull.Value, "text", "", "ünïcødé ✓", 42L, -7, (short)3, (byte)9, true, false, 1.5, -0.25f, 1e300,
        new byte[] { 1, 2, 3 }, Array.Empty<byte>(), long.MaxValue,
    ];

    [Theory]
    [MemberData(nameof(Values))]
    public void Stores_the_value_and_storage_class_the_command_path_stores(object? value)
    {
        using (var inserter = new SqliteRowInserter(_db, "INSERT INTO raw_rows (k, a) VALUES ($0, $1)", 2))
        {
            Assert.True(inserter.TryInsert([1L, value]));
        }
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO cmd_rows (k, a) VALUES ($0, $1)";
            cmd.Parameters.AddWithValue("$0", 1L);
            cmd.Parameters.AddWithValue("$1", value ?? DBNull.Value);
            cmd.ExecuteNonQuery();
        }
        using var check = _db.CreateCommand();
        check.CommandText = "SELECT typeof(r.a), typeof(c.a), r.a IS c.a, quote(r.a), quote(c.a) FROM raw_rows r, cmd_rows c";
        using var reader = check.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(reader.GetString(1), reader.GetString(0));
        Assert.Equal(reader.GetString(4), reader.GetString(3));
        Assert.Equal(1L, reader.GetInt64(2));
    }

    [Fact]
    public void A_constraint_violation_is_a_SqliteException_with_its_code_and_the_statement_stays_usable()
    {
        using var inserter = new SqliteRowInserter(_db, "INSERT INTO raw_rows (k, a) VALUES ($0, $1)", 2);
        Assert.True(inserter.TryInsert([1L, "first"]));
        var ex = Assert.Throws<SqliteException>(() => inserter.TryInsert([1L, "duplicate"]));
        Assert.Equal(19, ex.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.True(inserter.TryInsert([2L, "second"]));
        using var count = _db.CreateCommand();
        count.CommandText = "SELECT group_concat(a, ',') FROM (SELECT a FROM raw_rows ORDER BY k)";
        Assert.Equal("first,second", count.ExecuteScalar());
    }

    [Fact]
    public void A_value_of_another_type_or_NaN_is_left_to_the_command_path()
    {
        using var inserter = new SqliteRowInserter(_db, "INSERT INTO raw_rows (k, a) VALUES ($0, $1)", 2);
        Assert.False(inserter.TryInsert([1L, 1.5m]));
        Assert.False(inserter.TryInsert([2L, double.NaN]));
        Assert.False(inserter.TryInsert([3L, DateTimeOffset.UnixEpoch]));
        using var count = _db.CreateCommand();
        count.CommandText = "SELECT count(*) FROM raw_rows";
        Assert.Equal(0L, count.ExecuteScalar());
    }
}
