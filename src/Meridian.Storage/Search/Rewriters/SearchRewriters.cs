using System.Collections.Immutable;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>The rewriter pipelines the parser can apply.</summary>
public static class SearchRewriters
{
    /// <summary>
    /// Flatten first (the others expect flat AND/OR), merge id/type lists, drop duplicate and
    /// redundant conditions, narrow a one-type system search, flatten what that left behind, and
    /// drop repeated include descriptors.
    /// </summary>
    public static ImmutableArray<ISearchQueryRewriter> Default { get; } =
    [
        new FilterRewriterStep(FlatteningRewriter.Instance),
        new FilterRewriterStep(IdAndTypeMergeRewriter.Instance),
        new FilterRewriterStep(DeduplicateRewriter.Instance),
        new FilterRewriterStep(RedundantPresenceRewriter.Instance),
        TypeRestrictionRewriter.Instance,
        new FilterRewriterStep(FlatteningRewriter.Instance),
        IncludeDeduplicateRewriter.Instance,
    ];

    /// <summary>No rewriting: the tree exactly as parsed (for tests and diagnostics).</summary>
    public static ImmutableArray<ISearchQueryRewriter> None { get; } = [];
}
