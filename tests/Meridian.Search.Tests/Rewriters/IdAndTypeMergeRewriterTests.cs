using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Rewriters;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Rewriters;

public class IdAndTypeMergeRewriterTests
{
    private static SearchExpression Rewrite(SearchExpression e) => IdAndTypeMergeRewriter.Instance.Rewrite(e);

    [Fact]
    public void And_of_id_lists_is_their_intersection() =>
        Assert.Equal(And(new IdExpression(["b"]), P("x", Token(null, "1"))),
            Rewrite(And(new IdExpression(["a", "b"]), P("x", Token(null, "1")), new IdExpression(["b", "c"]))));

    [Fact]
    public void Disjoint_ids_match_nothing() =>
        Assert.Equal(new IdExpression([]), Rewrite(And(new IdExpression(["a"]), new IdExpression(["b"]))));

    [Fact]
    public void Or_of_id_lists_is_their_union() =>
        Assert.Equal(new IdExpression(["a", "b", "c"]), Rewrite(Or(new IdExpression(["a", "b"]), new IdExpression(["b", "c"]))));

    [Fact]
    public void Type_lists_merge_the_same_way() =>
        Assert.Equal(And(new TypeExpression(["Patient"]), new IdExpression(["1"])),
            Rewrite(And(new TypeExpression(["Patient", "Group"]), new IdExpression(["1"]), new TypeExpression(["Patient", "Practitioner"]))));

    [Fact]
    public void Single_lists_are_left_alone()
    {
        var tree = And(new IdExpression(["a"]), new TypeExpression(["Patient"]));
        Assert.Same(tree, Rewrite(tree));
    }

    [Fact]
    public void Parser_intersects_repeated_ids() =>
        Assert.Equal(new IdExpression(["2"]), Filter("Patient", "_id=1,2&_id=2,3"));
}
