using Meridian.Storage.Relational;

namespace Meridian.Storage.Sqlite;

/// <summary>SQLite: booleans are 0/1 integers, decimals are doubles (no decimal type; text would
/// compare as text), up to 32766 bind parameters per statement.</summary>
public sealed class SqliteDialect : SqlDialect
{
    public static SqliteDialect Instance { get; } = new();

    public override string Name => "sqlite";

    /// <summary>Off: on SQLite the code-driven code+date page was cheaper than counting the
    /// envelopes first and driving from them (quiet A/B at 1× and 10×, docs/benchmarks.md), since
    /// SQLite's probes are in-process B-tree seeks with no round trip to save.</summary>
    public override int DefaultDateEnvelopeDriveLimit => 0;
    public override string True => "1";
    public override string False => "0";
    public override int MaxParameters => 32766;
    public override object Bool(bool value) => value ? 1L : 0L;
    public override object Decimal(decimal value) => (double)value;
}
