using System.Text;

namespace Meridian.Storage.Relational;

/// <summary>SQL text plus positional-named parameters (<c>@p0</c>, <c>@p1</c>…) bound by value.</summary>
public sealed class SqlBuilder(SqlDialect dialect)
{
    private readonly StringBuilder _text = new(512);
    private readonly List<object?> _values = [];

    public SqlDialect Dialect { get; } = dialect;

    public SqlBuilder Append(string sql)
    {
        _text.Append(sql);
        return this;
    }

    /// <summary>Adds a parameter and returns its placeholder.</summary>
    public string Param(object? value)
    {
        _values.Add(value switch
        {
            bool b => Dialect.Bool(b),
            decimal d => Dialect.Decimal(d),
            DateTimeOffset t => t.UtcTicks,
            _ => value,
        });
        return "@p" + (_values.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Appends a parameter placeholder for <paramref name="value"/>.</summary>
    public SqlBuilder AppendParam(object? value) => Append(Param(value));

    public SqlStatement Build() => new(_text.ToString(), [.. _values]);

    public override string ToString() => _text.ToString();
}

/// <summary>A finished statement: text and parameter values in <c>@pN</c> order.</summary>
public sealed record SqlStatement(string Text, IReadOnlyList<object?> Values)
{
    /// <summary>A command on <paramref name="connection"/> (in <paramref name="tx"/> when given) with
    /// the values bound as <c>@p0</c>, <c>@p1</c>, … — the one place statements become commands,
    /// for the store and for modules with tables of their own.</summary>
    public System.Data.Common.DbCommand ToCommand(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = Text;
        for (var i = 0; i < Values.Count; i++)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p.Value = Values[i] ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }
}
