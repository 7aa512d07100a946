using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Rewriters;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Rewriters;

public class FilterRewriterStepTests
{
    private static readonly FilterRewriterStep Flatten = new(FlatteningRewriter.Instance);

    [Fact]
    public void Rewrites_the_filter_and_keeps_the_rest()
    {
        var query = new SearchQuery("Patient", And(And(P("a", Token(null, "1")), P("b", Token(null, "2"))))) { Count = 3 };
        var rewritten = Flatten.Rewrite(query);
        Assert.Equal(And(P("a", Token(null, "1")), P("b", Token(null, "2"))), rewritten.Filter);
        Assert.Equal(("Patient", 3), (rewritten.ResourceType, rewritten.Count));
    }

    [Fact]
    public void Unchanged_query_is_the_same_instance()
    {
        var query = new SearchQuery("Patient", And(P("a", Token(null, "1")), P("b", Token(null, "2"))));
        Assert.Same(query, Flatten.Rewrite(query));
        var empty = new SearchQuery("Patient");
        Assert.Same(empty, Flatten.Rewrite(empty));
    }

    [Fact]
    public void Default_pipeline_flattens_what_the_parser_builds()
    {
        // Without rewriters the tree stays as built; the default pipeline drops the duplicate and unwraps.
        var raw = Query("Observation", "code=a,a&status=final", Raw).Filter;
        Assert.Equal(And(Or(P("code", Token(null, "a")), P("code", Token(null, "a"))), P("status", Token(null, "final"))), raw);
        Assert.Equal(And(P("code", Token(null, "a")), P("status", Token(null, "final"))), Filter("Observation", "code=a,a&status=final"));
    }

    [Fact]
    public void Default_pipeline_order_is_stable() =>
        Assert.Equal(
            ["FlatteningRewriter", "IdAndTypeMergeRewriter", "DeduplicateRewriter", "RedundantPresenceRewriter", "TypeRestrictionRewriter", "FlatteningRewriter", "IncludeDeduplicateRewriter"],
            SearchRewriters.Default.Select(r => r is FilterRewriterStep s ? s.Rewriter.GetType().Name : r.GetType().Name).ToArray());
}
