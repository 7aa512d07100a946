namespace Meridian.Storage.Relational;

/// <summary>
/// The differences between the SQL engines that the shared relational code must know about.
/// Everything else (schema shape, search SQL, write plan) is shared. Dates are stored as UTC
/// ticks (bigint) on both engines: exact to 100 ns like .NET, and free of timestamp-infinity
/// conversions at the FHIR range ends (year 1 / 9999).
/// </summary>
public abstract class SqlDialect
{
    public abstract string Name { get; }

    /// <summary>Boolean literal: PostgreSQL has a boolean type, SQLite stores 0/1.</summary>
    public abstract string True { get; }
    public abstract string False { get; }

    /// <summary>Most bind parameters one statement may carry (SQLite 32766, PostgreSQL 65535).</summary>
    public abstract int MaxParameters { get; }

    /// <summary>A boolean bound as a parameter.</summary>
    public abstract object Bool(bool value);

    /// <summary>A decimal bound as a parameter: PostgreSQL keeps <c>numeric</c>; SQLite has no
    /// decimal type (Microsoft.Data.Sqlite would bind text, which compares as text), so a double.</summary>
    public abstract object Decimal(decimal value);

    /// <summary>Suffix that locks the rows a read-for-write selects, where the engine has row locks.</summary>
    public virtual string ForUpdate => "";

    /// <summary>Whether the engine binds an array as one parameter and expands it in SQL
    /// (PostgreSQL's <c>unnest</c>): modules then send a batch as one statement, not one per row.</summary>
    public virtual bool BindsArrays => false;

    /// <summary>
    /// <see cref="StoreOptions.DateEnvelopeDriveLimit"/> when the options leave it unset: the
    /// engine decides because the trade differs by engine (docs/benchmarks.md, fifth session:
    /// on PostgreSQL the envelope-driven page pays for its counts, on SQLite it did not).
    /// </summary>
    public virtual int DefaultDateEnvelopeDriveLimit => 1_000;

    /// <summary>
    /// A condition "<paramref name="column"/> is one of <paramref name="keys"/>". Default: an IN
    /// list of parameters; PostgreSQL binds one array instead (one parameter, one plan shape).
    /// </summary>
    public virtual string InKeys(SqlBuilder sql, string column, IReadOnlyList<long> keys)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return "1 = 0";
        }
        var text = new System.Text.StringBuilder(column.Length + keys.Count * 6).Append(column).Append(" IN (");
        for (var i = 0; i < keys.Count; i++)
        {
            text.Append(i > 0 ? ", " : "").Append(sql.Param(keys[i]));
        }
        return text.Append(')').ToString();
    }

    /// <summary>Paging clause; both engines speak LIMIT/OFFSET.</summary>
    public virtual string Page(string limitParameter, string offsetParameter) => $" LIMIT {limitParameter} OFFSET {offsetParameter}";
}
