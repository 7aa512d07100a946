using Meridian.Storage.Relational;

namespace Meridian.Storage.Postgres;

/// <summary>PostgreSQL: real booleans, exact <c>numeric</c> decimals, up to 65535 bind parameters.</summary>
public sealed class PostgresDialect : SqlDialect
{
    public static PostgresDialect Instance { get; } = new();

    public override string Name => "postgresql";

    public override bool BindsArrays => true;
    public override string True => "true";
    public override string False => "false";
    public override int MaxParameters => 65535;
    public override object Bool(bool value) => value;
    public override object Decimal(decimal value) => value;

    public override string InKeys(SqlBuilder sql, string column, IReadOnlyList<long> keys)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(keys);
        return $"{column} = ANY({sql.Param(keys.ToArray())})";
    }
}
