using System.Data.Common;

namespace Meridian.Hl7.Engine.Inbox;

/// <summary>Small helpers for parameterised commands on either engine (both accept <c>@name</c>).</summary>
internal static class SqlCommands
{
    public static DbCommand Create(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
#pragma warning disable CA2100 // the SQL text is built from constants; values are bound as parameters
        cmd.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            Add(cmd, name, value);
        }
        return cmd;
    }

    public static void Add(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        cmd.Parameters.Add(p);
    }

    public static string? NullableString(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    public static byte[]? NullableBytes(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<byte[]>(i);

    public static DateTimeOffset Ticks(DbDataReader r, int i) => new(r.GetInt64(i), TimeSpan.Zero);
}
