using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Rewriters;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Rewriters;

public class FlattenRewriterTests
{
    private static readonly SearchExpression A = P("a", Token(null, "1"));
    private static readonly SearchExpression B = P("b", Token(null, "2"));
    private static readonly SearchExpression C = P("c", Token(null, "3"));

    private static SearchExpression Rewrite(SearchExpression e) => FlattenRewriter.Instance.Rewrite(e);

    [Fact]
    public void Nested_and_is_flattened_in_order() =>
        Assert.Equal(And(A, B, C), Rewrite(And(And(A, B), C)));

    [Fact]
    public void Deeply_nested_or_is_flattened() =>
        Assert.Equal(Or(A, B, C), Rewrite(Or(Or(Or(A), B), C)));

    [Fact]
    public void And_inside_or_is_kept() =>
        Assert.Equal(Or(And(A, B), C), Rewrite(Or(And(A, B), C)));

    [Fact]
    public void Single_operand_is_unwrapped() =>
        Assert.Equal(A, Rewrite(And(Or(A))));

    [Fact]
    public void Double_negation_is_removed() =>
        Assert.Equal(A, Rewrite(new NotExpression(new NotExpression(A))));

    [Fact]
    public void Rewrites_inside_chains_and_has() =>
        Assert.Equal(
            new ChainedExpression("subject", "Patient", new ReverseChainedExpression("Observation", "patient", And(A, B, C))),
            Rewrite(new ChainedExpression("subject", "Patient", new ReverseChainedExpression("Observation", "patient", And(A, And(B, C))))));

    [Fact]
    public void Untouched_tree_is_the_same_instance()
    {
        var tree = And(A, Or(B, C));
        Assert.Same(tree, Rewrite(tree));
        var query = new SearchQuery("Patient", tree);
        Assert.Same(query, FlattenRewriter.Instance.Rewrite(query));
    }

    [Fact]
    public void Query_without_filter_is_unchanged()
    {
        var query = new SearchQuery("Patient");
        Assert.Same(query, FlattenRewriter.Instance.Rewrite(query));
    }
}
