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
public sealed record SqlStatement(string Text, IReadOnlyList<object?> Values);
