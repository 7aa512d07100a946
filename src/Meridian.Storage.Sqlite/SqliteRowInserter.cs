using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Meridian.Storage.Sqlite;

/// <summary>
/// One table's single-row INSERT, prepared once on the writer connection and re-executed through
/// the SQLite C API with values bound by position.
/// <para>Why not a reused <see cref="SqliteCommand"/>: every ExecuteNonQuery of one looks each
/// parameter up by name (<c>sqlite3_bind_parameter_index</c>, a linear string search per
/// parameter, so quadratic in the columns), creates a data reader and walks its statement
/// enumerator; a create writes ~15-40 rows and a Synthea Bundle several thousand, so that
/// bookkeeping was a visible share of the write path's CPU. The SQL, the values stored and the
/// errors raised (<see cref="SqliteException"/> with SQLite's code) are the same.</para>
/// <para>Values of a type this binder does not know are written through the command as before
/// (<see cref="TryBind"/> returns false), so storage affinity never differs between the paths.</para>
/// </summary>
internal sealed class SqliteRowInserter : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly int _columns;

    public SqliteRowInserter(SqliteConnection connection, string sql, int columns)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        _columns = columns;
        var rc = raw.sqlite3_prepare_v2(_db, sql, out var statement);
        if (rc != raw.SQLITE_OK || statement is null)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, _db);
            throw new InvalidOperationException("SQLite prepared no statement for: " + sql);
        }
        _statement = statement;
    }

    /// <summary>Inserts one row; false (nothing written, nothing bound) when a value has a type
    /// only the generic command path handles.</summary>
    public bool TryInsert(object?[] row)
    {
        for (var i = 0; i < _columns; i++)
        {
            if (!Bindable(row[i]))
            {
                return false;
            }
        }
        try
        {
            for (var i = 0; i < _columns; i++)
            {
                Check(TryBind(_statement, i + 1, row[i]));
            }
            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                // sqlite3_reset reports the statement's error (e.g. SQLITE_CONSTRAINT_UNIQUE)
                // with the message sqlite3_errmsg gives for it.
                var code = raw.sqlite3_reset(_statement);
                SqliteException.ThrowExceptionForRC(code == raw.SQLITE_OK ? rc : code, _db);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }
        return true;
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    /// <summary>The types the store's rows hold, bound as Microsoft.Data.Sqlite binds them.</summary>
    private static bool Bindable(object? value) =>
        value is null or DBNull or string or long or int or short or byte or bool or float or byte[]
        || (value is double d && !double.IsNaN(d)); // NaN: the command path refuses it, as before

    private static int TryBind(sqlite3_stmt s, int index, object? value) => value switch
    {
        null or DBNull => raw.sqlite3_bind_null(s, index),
        string text => raw.sqlite3_bind_text(s, index, text),
        long l => raw.sqlite3_bind_int64(s, index, l),
        int n => raw.sqlite3_bind_int64(s, index, n),
        short n => raw.sqlite3_bind_int64(s, index, n),
        byte n => raw.sqlite3_bind_int64(s, index, n),
        bool b => raw.sqlite3_bind_int64(s, index, b ? 1 : 0),
        double d => raw.sqlite3_bind_double(s, index, d),
        float f => raw.sqlite3_bind_double(s, index, f),
        // An empty array is a zero-length BLOB, not NULL (a null pointer would bind NULL).
        byte[] { Length: 0 } => raw.sqlite3_bind_zeroblob(s, index, 0),
        byte[] blob => raw.sqlite3_bind_blob(s, index, blob),
        _ => throw new InvalidOperationException($"Unbindable value of type {value.GetType()}."),
    };

    public void Dispose() => _statement.Dispose();
}
