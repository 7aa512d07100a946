using Meridian.Storage.Search;
using Meridian.Storage.Search.Expressions;
using Meridian.Storage.Search.Rewriters;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Rewriters;

public class TypeRestrictionRewriterTests
{
    private static SearchQuery Rewrite(SearchQuery q) => TypeRestrictionRewriter.Instance.Rewrite(q);

    [Fact]
    public void Only_a_type_filter_becomes_the_resource_type() =>
        Assert.Equal(new SearchQuery("Patient"), Rewrite(new SearchQuery(null, new TypeExpression(["Patient"]))));

    [Fact]
    public void Type_among_other_conditions_is_moved_out() =>
        Assert.Equal(new SearchQuery("Patient", And(P("a", Token(null, "1")), P("b", Token(null, "2")))),
            Rewrite(new SearchQuery(null, And(P("a", Token(null, "1")), new TypeExpression(["Patient"]), P("b", Token(null, "2"))))));

    [Fact]
    public void Single_remaining_condition_is_unwrapped() =>
        Assert.Equal(new SearchQuery("Patient", P("a", Token(null, "1"))),
            Rewrite(new SearchQuery(null, And(new TypeExpression(["Patient"]), P("a", Token(null, "1"))))));

    [Fact]
    public void Several_types_stay_a_filter()
    {
        var query = new SearchQuery(null, new TypeExpression(["Patient", "Group"]));
        Assert.Same(query, Rewrite(query));
    }

    [Fact]
    public void Type_level_query_is_unchanged()
    {
        var query = new SearchQuery("Patient", new TypeExpression(["Patient"]));
        Assert.Same(query, Rewrite(query));
    }

    [Fact]
    public void Type_under_an_or_is_not_a_restriction()
    {
        var query = new SearchQuery(null, Or(new TypeExpression(["Patient"]), new IdExpression(["1"])));
        Assert.Same(query, Rewrite(query));
    }

    [Fact]
    public void Other_settings_survive()
    {
        var query = new SearchQuery(null, new TypeExpression(["Patient"])) { Count = 7, Total = TotalMode.Accurate };
        var rewritten = Rewrite(query);
        Assert.Equal(("Patient", 7, TotalMode.Accurate), (rewritten.ResourceType, rewritten.Count, rewritten.Total));
    }

    [Fact]
    public void Two_type_lists_narrowing_to_one_become_a_type_level_search_in_the_parser() =>
        Assert.Equal("Patient", Query(null, "_type=Patient,Group&_type=Patient,Practitioner&name=x").ResourceType);
}
