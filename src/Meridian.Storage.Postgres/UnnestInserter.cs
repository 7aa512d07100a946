using System.Collections.Concurrent;
using System.Globalization;
using Meridian.Storage.Relational;
using Npgsql;
using NpgsqlTypes;

namespace Meridian.Storage.Postgres;

/// <summary>
/// Large row sets as ONE statement with one array parameter per column:
/// <c>INSERT INTO t (a, b) SELECT * FROM unnest($1::text[], $2::bigint[])</c>. It replaces
/// binary COPY, which PostgreSQL refuses on tables with row-level security (COPY FROM cannot
/// apply policies); like COPY it has no per-row SQL text and no bind-parameter limit, and
/// every row passes the table's policies like any INSERT. Column types are read from the
/// catalog once per table.
/// </summary>
internal sealed class UnnestInserter
{
    private readonly ConcurrentDictionary<string, (string Sql, string[] Types)> _plans = new();

    public async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction tx, TableDefinition table, IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        var plan = await PlanOfAsync(connection, tx, table, ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(plan.Sql, connection, tx);
        for (var col = 0; col < table.Columns.Length; col++)
        {
            cmd.Parameters.Add(ColumnArray(plan.Types[col], rows, col));
        }
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The same INSERT as one command of a <see cref="NpgsqlBatch"/> (its SQL text is
    /// fixed per table, so Npgsql's auto-prepare keeps it prepared).</summary>
    public async ValueTask<NpgsqlBatchCommand> CommandAsync(NpgsqlConnection connection, NpgsqlTransaction tx, TableDefinition table, IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        var plan = await PlanOfAsync(connection, tx, table, ct).ConfigureAwait(false);
        var command = new NpgsqlBatchCommand(plan.Sql);
        for (var col = 0; col < table.Columns.Length; col++)
        {
            command.Parameters.Add(ColumnArray(plan.Types[col], rows, col));
        }
        return command;
    }

    private async ValueTask<(string Sql, string[] Types)> PlanOfAsync(NpgsqlConnection connection, NpgsqlTransaction tx, TableDefinition table, CancellationToken ct)
    {
        if (!_plans.TryGetValue(table.Name, out var plan))
        {
            plan = await PlanAsync(connection, tx, table, ct).ConfigureAwait(false);
            _plans[table.Name] = plan;
        }
        return plan;
    }

    private static async Task<(string, string[])> PlanAsync(NpgsqlConnection connection, NpgsqlTransaction tx, TableDefinition table, CancellationToken ct)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var cmd = new NpgsqlCommand(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped", connection, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = table.Name, NpgsqlDbType = NpgsqlDbType.Text });
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                types[reader.GetString(0)] = reader.GetString(1);
            }
        }
        var columnTypes = table.Columns.Select(c => types.TryGetValue(c, out var t) ? t : throw new InvalidOperationException($"{table.Name} has no column {c}")).ToArray();
        var arrays = string.Join(", ", columnTypes.Select((t, i) => string.Create(CultureInfo.InvariantCulture, $"${i + 1}::{t}[]")));
        return ($"INSERT INTO {table.Name} ({string.Join(", ", table.Columns)}) SELECT * FROM unnest({arrays})", columnTypes);
    }

    private static NpgsqlParameter ColumnArray(string type, IReadOnlyList<object?[]> rows, int col) => type switch
    {
        "text" => Array(rows, col, NpgsqlDbType.Text, v => (string)v),
        "bigint" => Array<long?>(rows, col, NpgsqlDbType.Bigint, v => Convert.ToInt64(v, CultureInfo.InvariantCulture)),
        "integer" => Array<int?>(rows, col, NpgsqlDbType.Integer, v => Convert.ToInt32(v, CultureInfo.InvariantCulture)),
        "smallint" => Array<short?>(rows, col, NpgsqlDbType.Smallint, v => Convert.ToInt16(v, CultureInfo.InvariantCulture)),
        "numeric" => Array<decimal?>(rows, col, NpgsqlDbType.Numeric, v => Convert.ToDecimal(v, CultureInfo.InvariantCulture)),
        "boolean" => Array<bool?>(rows, col, NpgsqlDbType.Boolean, v => (bool)v),
        "bytea" => Array(rows, col, NpgsqlDbType.Bytea, v => (byte[])v),
        _ => throw new InvalidOperationException($"no array mapping for column type {type}"),
    };

    private static NpgsqlParameter Array<T>(IReadOnlyList<object?[]> rows, int col, NpgsqlDbType elementType, Func<object, T> convert)
    {
        var values = new T?[rows.Count];
        for (var r = 0; r < rows.Count; r++)
        {
            values[r] = rows[r][col] is { } v ? convert(v) : default;
        }
        return new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
    }
}
