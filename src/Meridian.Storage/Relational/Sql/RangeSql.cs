using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Relational.Sql;

/// <summary>
/// The FHIR prefix semantics over ranges, shared by date and quantity: the target is the row
/// range [low, high] (a null bound is open: -inf/+inf), the search value the range [qLow, qHigh]
/// its precision denotes. eq = target inside search range; gt = target reaches above it;
/// ge = gt or eq; sa = target starts after it; eb = target ends before it; ap = overlaps the
/// search range widened by <c>slack</c>; ne = not eq.
/// </summary>
internal static class RangeSql
{
    public static void Write(SqlBuilder sql, string low, string high, SearchPrefix prefix, object qLow, object qHigh, object? slackLow, object? slackHigh, bool nullable)
    {
        string Lo(string op, object v) => nullable ? $"({low} IS NULL OR {low} {op} {sql.Param(v)})" : $"{low} {op} {sql.Param(v)}";
        string Hi(string op, object v) => nullable ? $"({high} IS NULL OR {high} {op} {sql.Param(v)})" : $"{high} {op} {sql.Param(v)}";
        string Eq() => $"({low} >= {sql.Param(qLow)} AND {high} <= {sql.Param(qHigh)})";
        // Bounds every matching row also satisfies (a row has low <= high), repeated so an index
        // on low seeks instead of scanning: eq "low in [qLow, qHigh]" (both ends), le and eb
        // "low below the search range's end". Only where low is never null (dates).
        string Seek(string bound) => nullable ? "" : bound + " AND ";
        sql.Append(prefix switch
        {
            SearchPrefix.Eq => $"({Seek($"{low} <= {sql.Param(qHigh)}")}{Eq()})",
            SearchPrefix.Ne => $"NOT {Eq()}",
            SearchPrefix.Gt => Hi(">", qHigh),
            SearchPrefix.Lt => Lo("<", qLow),
            SearchPrefix.Ge => $"({Hi(">", qHigh)} OR {Eq()})",
            SearchPrefix.Le => $"({Seek($"{low} <= {sql.Param(qHigh)}")}({Lo("<", qLow)} OR {Eq()}))",
            SearchPrefix.Sa => $"{low} > {sql.Param(qHigh)}",
            SearchPrefix.Eb => $"({Seek($"{low} < {sql.Param(qLow)}")}{high} < {sql.Param(qLow)})",
            SearchPrefix.Ap => $"({Lo("<=", slackHigh ?? qHigh)} AND {Hi(">=", slackLow ?? qLow)})",
            _ => throw new ArgumentOutOfRangeException(nameof(prefix)),
        });
    }
}
