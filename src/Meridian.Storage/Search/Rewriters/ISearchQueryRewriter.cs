namespace Meridian.Storage.Search.Rewriters;

/// <summary>One named transformation of a parsed query that keeps its meaning (same matches).</summary>
public interface ISearchQueryRewriter
{
    SearchQuery Rewrite(SearchQuery query);
}
