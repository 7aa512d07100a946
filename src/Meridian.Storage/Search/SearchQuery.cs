using System.Collections.Immutable;
using Meridian.Fhir.Specification;
using Meridian.Storage.Search.Expressions;

namespace Meridian.Storage.Search;

public enum TotalMode { None, Estimate, Accurate }

/// <summary>A sort key: a search parameter (or <c>_id</c>, <c>_lastUpdated</c>) and direction.</summary>
public sealed record SortKey(string Code, SearchParamType Type, bool Descending = false);

/// <summary><c>_include=Source:param[:Target]</c> or, as a rev-include, <c>_revinclude=Source:param[:Target]</c>.</summary>
public sealed record IncludeDescriptor(string SourceType, string ReferenceCode, string? TargetType = null)
{
    public bool Iterate { get; init; }
}

/// <summary>
/// A search to execute: resource type (null = all types), filter, sort, page size, cursor,
/// includes and total. The whole thing is a value; the parser builds it from a query string.
/// </summary>
public sealed record SearchQuery(string? ResourceType, SearchExpression? Filter = null)
{
    public ImmutableArray<SortKey> Sort { get; init; } = [];
    public int Count { get; init; } = 50;
    public string? Cursor { get; init; }
    public ImmutableArray<IncludeDescriptor> Includes { get; init; } = [];
    public ImmutableArray<IncludeDescriptor> RevIncludes { get; init; } = [];
    public TotalMode Total { get; init; } = TotalMode.None;
}

/// <summary>One page of matches, the resources included for them, the total when asked for,
/// and the cursor of the next page (null on the last).</summary>
public sealed record SearchResult(ImmutableArray<StoredResource> Matches, ImmutableArray<StoredResource> Included, long? Total, string? NextCursor);
