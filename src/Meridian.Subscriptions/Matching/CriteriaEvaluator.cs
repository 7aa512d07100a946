using Meridian.Fhir.Search;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Subscriptions.Matching;

/// <summary>
/// Evaluates a parsed search filter against one resource's index values in memory, with the
/// store's SQL semantics (Relational/Sql: TokenSql, ReferenceSql, StringSql, UriSql): token
/// code/system equality, <c>:text</c> prefix, <c>:of-type</c>; reference id+type or url(+version);
/// string starts-with/contains on the normalised form and <c>:exact</c>; uri exact/below/above;
/// <c>:not</c>, <c>:missing</c>, <c>_id</c>, and/or; date, number and quantity prefixes and
/// <c>_lastUpdated</c> with the range semantics of RangeSql/DateSql/NumberSql/QuantitySql
/// (<see cref="RangeEvaluator"/>). Anything else (composites, near, chains, <c>_has</c>…) is
/// not supported here: <see cref="Supports"/> says so up front and those subscriptions keep the
/// search path (which sees the current version, not the event's).
/// </summary>
public static class CriteriaEvaluator
{
    public static bool Supports(SearchExpression? e) => e switch
    {
        null => true,
        AndExpression a => a.Operands.All(Supports),
        OrExpression o => o.Operands.All(Supports),
        NotExpression n => Supports(n.Operand),
        IdExpression or MissingExpression or LastUpdatedExpression => true,
        ParameterExpression { Predicate: TokenPredicate or ReferencePredicate or StringPredicate or UriPredicate or DatePredicate or NumberPredicate or QuantityPredicate } => true,
        _ => false,
    };

    /// <summary>Whether <paramref name="facts"/> satisfy <paramref name="e"/> (null: no filter, everything matches).</summary>
    public static bool Matches(SearchExpression? e, ResourceFacts facts) => Matches(e, facts, DateTimeOffset.UtcNow);

    /// <summary>As <see cref="Matches(SearchExpression?, ResourceFacts)"/>, with the instant a date's <c>ap</c> is measured from (the store uses its search time).</summary>
    public static bool Matches(SearchExpression? e, ResourceFacts facts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return e switch
        {
            null => true,
            AndExpression a => a.Operands.All(o => Matches(o, facts, now)),
            OrExpression o => o.Operands.Any(x => Matches(x, facts, now)),
            NotExpression n => !Matches(n.Operand, facts, now),
            IdExpression id => id.Ids.Contains(facts.Id, StringComparer.Ordinal),
            MissingExpression m => facts.Values(m.Code).Count == 0 == m.IsMissing,
            // The store compares the version's last_updated column (UTC ticks) as a one-instant range.
            LastUpdatedExpression lu => RangeEvaluator.Date(lu.Predicate, facts.LastUpdated.UtcTicks, facts.LastUpdated.UtcTicks, now),
            ParameterExpression p => facts.Values(p.Code).Any(v => Value(p.Predicate, v, now)),
            _ => throw new NotSupportedException($"{e.GetType().Name} is not evaluated in memory (check Supports first)."),
        };
    }

    private static bool Value(ValuePredicate predicate, SearchValue value, DateTimeOffset now) => (predicate, value) switch
    {
        (DatePredicate p, DateRangeValue d) => RangeEvaluator.Date(p, d.Low.UtcTicks, d.High.UtcTicks, now),
        (NumberPredicate p, NumberValue n) => RangeEvaluator.Number(p, n),
        (QuantityPredicate p, QuantityValue q) => RangeEvaluator.Quantity(p, q),
        (TokenPredicate p, TokenValue t) => Token(p, t),
        (ReferencePredicate p, ReferenceValue r) => Reference(p, r),
        (StringPredicate p, StringValue s) => String(p, s),
        (UriPredicate p, UriValue u) => Uri(p, u.Uri),
        _ => false,
    };

    private static bool Token(TokenPredicate p, TokenValue t)
    {
        switch (p.Match)
        {
            case TokenMatch.Text:
                return t.TextNormalized is { } text && text.StartsWith(StringNormalizer.Normalize(p.Code ?? ""), StringComparison.Ordinal);
            case TokenMatch.OfType:
                return t.TypeSystem == p.TypeSystem && t.TypeCode == p.TypeCode && t.Code == p.Code && p.TypeSystem is not null && p.TypeCode is not null && p.Code is not null;
        }
        if (p.Code is null && p.System is null)
        {
            return t.Code is not null;
        }
        if (p.Code is not null && !string.Equals(t.Code, p.Code, StringComparison.Ordinal))
        {
            return false;
        }
        return p.System switch
        {
            null => true,
            "" => t.System is null,
            _ => string.Equals(t.System, p.System, StringComparison.Ordinal),
        };
    }

    private static bool Reference(ReferencePredicate p, ReferenceValue r)
    {
        bool hit;
        if (p.Url is not null)
        {
            hit = string.Equals(r.Url, p.Url, StringComparison.Ordinal);
        }
        else
        {
            hit = string.Equals(r.Id, p.Id ?? "", StringComparison.Ordinal)
                && (p.ResourceType is null || string.Equals(r.ResourceType, p.ResourceType, StringComparison.Ordinal));
        }
        return hit && (p.Version is null || string.Equals(r.Version, p.Version, StringComparison.Ordinal));
    }

    private static bool String(StringPredicate p, StringValue s) => p.Match switch
    {
        StringMatch.Exact => string.Equals(s.Value, p.Value, StringComparison.Ordinal),
        StringMatch.Contains => s.Normalized.Contains(StringNormalizer.Normalize(p.Value), StringComparison.Ordinal),
        _ => s.Normalized.StartsWith(StringNormalizer.Normalize(p.Value), StringComparison.Ordinal),
    };

    private static bool Uri(UriPredicate p, string uri) => p.Match switch
    {
        UriMatch.Below => uri.StartsWith(p.Uri, StringComparison.Ordinal),
        UriMatch.Above => p.Uri.StartsWith(uri, StringComparison.Ordinal),
        _ => string.Equals(uri, p.Uri, StringComparison.Ordinal),
    };
}
