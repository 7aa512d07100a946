using Meridian.Storage.Search;
using Meridian.Storage.Search.Rewriters;
using static Meridian.Search.Tests.Support.Q;

namespace Meridian.Search.Tests.Rewriters;

public class IncludeDeduplicateRewriterTests
{
    [Fact]
    public void Repeats_are_dropped_in_order()
    {
        var query = new SearchQuery("Observation")
        {
            Includes = [new("Observation", "subject"), new("Observation", "encounter"), new("Observation", "subject")],
            RevIncludes = [new("Provenance", "target"), new("Provenance", "target")],
        };
        var rewritten = IncludeDeduplicateRewriter.Instance.Rewrite(query);
        Assert.Equal([new IncludeDescriptor("Observation", "subject"), new IncludeDescriptor("Observation", "encounter")], rewritten.Includes.ToArray());
        Assert.Equal([new IncludeDescriptor("Provenance", "target")], rewritten.RevIncludes.ToArray());
    }

    [Fact]
    public void Iterating_copy_wins()
    {
        var query = new SearchQuery("Observation") { Includes = [new("Observation", "subject"), new("Observation", "subject") { Iterate = true }] };
        Assert.Equal([new IncludeDescriptor("Observation", "subject") { Iterate = true }], IncludeDeduplicateRewriter.Instance.Rewrite(query).Includes.ToArray());
    }

    [Fact]
    public void Different_targets_are_kept()
    {
        var query = new SearchQuery("Observation") { Includes = [new("Observation", "subject", "Patient"), new("Observation", "subject")] };
        Assert.Same(query, IncludeDeduplicateRewriter.Instance.Rewrite(query));
    }

    [Fact]
    public void Parser_applies_it_after_star_expansion()
    {
        var includes = Query("Observation", "_include=Observation:*&_include=Observation:subject").Includes;
        Assert.Single(includes, i => i.ReferenceCode == "subject");
    }
}
