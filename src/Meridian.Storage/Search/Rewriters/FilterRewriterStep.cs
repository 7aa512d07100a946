namespace Meridian.Storage.Search.Rewriters;

/// <summary>Runs a <see cref="SearchExpressionRewriter"/> over a query's filter, as one pipeline step.</summary>
public sealed class FilterRewriterStep(SearchExpressionRewriter rewriter) : ISearchQueryRewriter
{
    public SearchExpressionRewriter Rewriter { get; } = rewriter ?? throw new ArgumentNullException(nameof(rewriter));

    public SearchQuery Rewrite(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Filter is null)
        {
            return query;
        }
        var filter = Rewriter.Rewrite(query.Filter);
        return ReferenceEquals(filter, query.Filter) ? query : query with { Filter = filter };
    }

    public override string ToString() => Rewriter.GetType().Name;
}
