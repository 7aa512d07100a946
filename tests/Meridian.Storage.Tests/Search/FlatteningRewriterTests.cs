using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Rewriters;

namespace Meridian.Storage.Tests.Search;

public sealed class FlatteningRewriterTests
{
    private static readonly SearchExpression s_a = new ParameterExpression("family", new StringPredicate("a"));
    private static readonly SearchExpression s_b = new ParameterExpression("given", new StringPredicate("b"));
    private static readonly SearchExpression s_c = new IdExpression(["c"]);

    [Fact]
    public void Nested_ands_merge_and_single_operands_unwrap()
    {
        var tree = new AndExpression([new AndExpression([s_a, s_b]), new OrExpression([s_c])]);
        var flat = FlatteningRewriter.Instance.Rewrite(tree);
        Assert.Equal(new AndExpression([s_a, s_b, s_c]), flat);
    }

    [Fact]
    public void Nested_ors_merge_inside_chains_and_double_negation_cancels()
    {
        var tree = new ChainedExpression("subject", "Patient", new OrExpression([s_a, new OrExpression([s_b, new NotExpression(new NotExpression(s_c))])]));
        var flat = FlatteningRewriter.Instance.Rewrite(tree);
        Assert.Equal(new ChainedExpression("subject", "Patient", new OrExpression([s_a, s_b, s_c])), flat);
    }

    [Fact]
    public void Unchanged_trees_are_returned_as_the_same_instance()
    {
        SearchExpression tree = new AndExpression([s_a, new OrExpression([s_b, s_c])]);
        Assert.Same(tree, FlatteningRewriter.Instance.Rewrite(tree));
        Assert.Same(s_a, FlatteningRewriter.Instance.Rewrite(s_a));
    }

    [Fact]
    public void And_and_or_do_not_merge_into_each_other()
    {
        var tree = new AndExpression([s_a, new OrExpression([s_b, s_c])]);
        Assert.Equal(tree, FlatteningRewriter.Instance.Rewrite(tree));
    }
}
