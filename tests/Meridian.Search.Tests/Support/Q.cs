using System.Collections.Immutable;
using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Parsing;

namespace Meridian.Search.Tests.Support;

/// <summary>Parses literal query strings ("a=1&amp;b=2", not URL-encoded) with the shared R4 parser.</summary>
internal static class Q
{
    public static ImmutableArray<QueryParameter> Pairs(string query)
    {
        if (query.Length == 0)
        {
            return [];
        }
        var pairs = ImmutableArray.CreateBuilder<QueryParameter>();
        foreach (var part in query.Split('&'))
        {
            var eq = part.IndexOf('=');
            pairs.Add(eq < 0 ? new QueryParameter(part, "") : new QueryParameter(part[..eq], part[(eq + 1)..]));
        }
        return pairs.ToImmutable();
    }

    public static SearchParseResult Parse(string? type, string query, SearchHandling handling = SearchHandling.Strict, SearchQueryParser? parser = null) =>
        (parser ?? SearchQueryParser.R4).Parse(type, Pairs(query), handling);

    /// <summary>Parses strictly, asserts there are no issues, returns the query.</summary>
    public static SearchQuery Query(string? type, string query, SearchQueryParser? parser = null)
    {
        var result = Parse(type, query, SearchHandling.Strict, parser);
        Assert.True(result.Issues.IsEmpty, string.Join("\n", result.Issues));
        return result.Query;
    }

    /// <summary>Parses strictly, asserts there are no issues, returns the filter.</summary>
    public static SearchExpression Filter(string? type, string query, SearchQueryParser? parser = null) =>
        Query(type, query, parser).Filter ?? throw new InvalidOperationException("no filter");

    /// <summary>The filter of a single-value parameter's predicate.</summary>
    public static ValuePredicate Predicate(string? type, string query) =>
        Assert.IsType<ParameterExpression>(Filter(type, query)).Predicate;

    /// <summary>Parses strictly, asserts exactly one error, returns it.</summary>
    public static Issue Error(string? type, string query)
    {
        var result = Parse(type, query, SearchHandling.Strict);
        Assert.True(result.HasErrors, "expected an error");
        return Assert.Single(result.Issues, i => i.IsError);
    }

    /// <summary>Parser without rewriters: the tree exactly as built.</summary>
    public static SearchQueryParser Raw { get; } = new(SearchParserOptions.Default with { Rewriters = [] });

    public static DateTimeOffset Utc(int y, int m = 1, int d = 1, int h = 0, int min = 0, int s = 0) => new(y, m, d, h, min, s, TimeSpan.Zero);

    /// <summary>The last tick before <paramref name="next"/>: the inclusive end of a precision range.</summary>
    public static DateTimeOffset Before(DateTimeOffset next) => next.AddTicks(-1);

    public static SearchExpression And(params SearchExpression[] operands) => new AndExpression([.. operands]);

    public static SearchExpression Or(params SearchExpression[] operands) => new OrExpression([.. operands]);

    public static ParameterExpression P(string code, ValuePredicate predicate) => new(code, predicate);

    public static TokenPredicate Token(string? system, string? code) => new(system, code);
}
