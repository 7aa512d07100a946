using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Rewriters;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Rewriters;

public class DeduplicateRewriterTests
{
    private static SearchExpression Rewrite(SearchExpression e) => DeduplicateRewriter.Instance.Rewrite(e);

    [Fact]
    public void Equal_token_predicates_in_an_or_are_merged() =>
        Assert.Equal(Or(P("code", Token("s", "a")), P("code", Token("s", "b"))),
            Rewrite(Or(P("code", Token("s", "a")), P("code", Token("s", "b")), P("code", Token("s", "a")))));

    [Fact]
    public void Or_of_one_distinct_value_becomes_that_value() =>
        Assert.Equal(P("code", Token(null, "a")), Rewrite(Or(P("code", Token(null, "a")), P("code", Token(null, "a")))));

    [Fact]
    public void Equal_conditions_in_an_and_are_merged() =>
        Assert.Equal(And(P("a", Token(null, "1")), P("b", Token(null, "2"))),
            Rewrite(And(P("a", Token(null, "1")), P("b", Token(null, "2")), P("a", Token(null, "1")))));

    [Fact]
    public void Equal_composites_and_nested_ors_compare_by_value() =>
        Assert.Equal(P("c", new CompositePredicate([Token(null, "x"), Token(null, "y")])),
            Rewrite(Or(P("c", new CompositePredicate([Token(null, "x"), Token(null, "y")])), P("c", new CompositePredicate([Token(null, "x"), Token(null, "y")])))));

    [Fact]
    public void Different_modifiers_are_not_duplicates()
    {
        var tree = Or(P("code", Token(null, "a")), P("code", new TokenPredicate(null, "a") { Match = TokenMatch.Text }));
        Assert.Same(tree, Rewrite(tree));
    }

    [Fact]
    public void Parser_applies_it() =>
        Assert.Equal(P("code", Token(null, "a")), Filter("Observation", "code=a,a&code=a"));
}
