using Meridian.Fhir.Specification;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Rewriters;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Rewriters;

public class RedundantPresenceRewriterTests
{
    private static SearchExpression Rewrite(SearchExpression e) => RedundantPresenceRewriter.Instance.Rewrite(e);

    private static readonly MissingExpression CodePresent = new("code", SearchParamType.Token, false);

    [Fact]
    public void Presence_is_implied_by_a_value_match() =>
        Assert.Equal(P("code", Token(null, "a")), Rewrite(And(CodePresent, P("code", Token(null, "a")))));

    [Fact]
    public void Presence_is_implied_by_an_or_of_value_matches() =>
        Assert.Equal(And(Or(P("code", Token(null, "a")), P("code", Token(null, "b"))), P("status", Token(null, "final"))),
            Rewrite(And(Or(P("code", Token(null, "a")), P("code", Token(null, "b"))), CodePresent, P("status", Token(null, "final")))));

    [Fact]
    public void Presence_of_another_parameter_is_kept()
    {
        var tree = And(CodePresent, P("status", Token(null, "final")));
        Assert.Same(tree, Rewrite(tree));
    }

    [Fact]
    public void Missing_true_is_never_dropped()
    {
        var tree = And(new MissingExpression("code", SearchParamType.Token, true), P("code", Token(null, "a")));
        Assert.Same(tree, Rewrite(tree));
    }

    [Fact]
    public void Not_does_not_imply_presence()
    {
        // code:not=a matches resources without code, so code:missing=false still filters.
        var tree = And(CodePresent, new NotExpression(P("code", Token(null, "a"))));
        Assert.Same(tree, Rewrite(tree));
    }

    [Fact]
    public void Parser_applies_it() =>
        Assert.Equal(P("code", Token(null, "a")), Filter("Observation", "code:missing=false&code=a"));
}
