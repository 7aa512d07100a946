using System.Text;
using Meridian.Fhir.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// String search on the normalised column. Starts-with is a half-open range
/// [value, value + U+10FFFF) instead of LIKE: with binary collation (SQLite BINARY, PostgreSQL
/// "C") the btree index answers it on both engines.
/// </summary>
internal sealed class StringSql : IPredicateSql
{
    private static readonly string s_maxChar = char.ConvertFromUtf32(0x10FFFF);

    public void Write(SqlBuilder sql, string alias, IndexColumns c, ValuePredicate predicate, SearchSqlContext context)
    {
        var p = (StringPredicate)predicate;
        switch (p.Match)
        {
            case StringMatch.Exact:
                // The stored norm is Normalize(value), so an exact value implies its norm: the
                // extra equality lets the norm index seek.
                if (c.Norm is not null && c.Norm != c.Value)
                {
                    sql.Append($"{alias}.{c.Norm} = ").AppendParam(StringNormalizer.Normalize(p.Value)).Append(" AND ");
                }
                sql.Append($"{alias}.{c.Value} = ").AppendParam(p.Value);
                break;
            case StringMatch.Contains:
                WriteContains(sql, $"{alias}.{c.Norm}", StringNormalizer.Normalize(p.Value));
                break;
            default:
                WritePrefix(sql, $"{alias}.{c.Norm}", StringNormalizer.Normalize(p.Value));
                break;
        }
    }

    internal static void WritePrefix(SqlBuilder sql, string column, string prefix)
    {
        sql.Append($"{column} >= ").AppendParam(prefix).Append($" AND {column} < ").AppendParam(prefix + s_maxChar);
    }

    internal static void WriteContains(SqlBuilder sql, string column, string fragment)
    {
        var escaped = new StringBuilder(fragment.Length + 2).Append('%');
        foreach (var ch in fragment)
        {
            if (ch is '%' or '_' or '\\')
            {
                escaped.Append('\\');
            }
            escaped.Append(ch);
        }
        escaped.Append('%');
        sql.Append($"{column} LIKE ").AppendParam(escaped.ToString()).Append(" ESCAPE '\\'");
    }
}
