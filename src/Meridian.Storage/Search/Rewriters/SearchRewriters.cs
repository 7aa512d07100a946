using System.Collections.Immutable;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>The rewriter pipelines the parser can apply.</summary>
public static class SearchRewriters
{
    /// <summary>
    /// Flatten first (the others expect flat AND/OR), merge id/type lists, drop duplicate and
    /// redundant conditions, narrow a one-type system search, and flatten what that left behind.
    /// </summary>
    public static ImmutableArray<ISearchQueryRewriter> Default { get; } =
    [
        FlattenRewriter.Instance,
        IdAndTypeMergeRewriter.Instance,
        DeduplicateRewriter.Instance,
        RedundantPresenceRewriter.Instance,
        TypeRestrictionRewriter.Instance,
        FlattenRewriter.Instance,
    ];

    /// <summary>No rewriting: the tree exactly as parsed (for tests and diagnostics).</summary>
    public static ImmutableArray<ISearchQueryRewriter> None { get; } = [];
}
