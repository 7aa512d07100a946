using System.Collections.Immutable;

namespace Meridian.Storage.Search.Parsing;

/// <summary><c>_summary</c> values; <see cref="None"/> when the parameter is absent.</summary>
public enum SummaryMode { None, True, Text, Data, Count, False }

/// <summary>
/// How each returned resource is rendered, kept apart from <see cref="SearchQuery"/> because
/// it does not change which resources match (the store never sees it).
/// </summary>
public sealed record SearchResultShape(SummaryMode Summary = SummaryMode.None)
{
    public static SearchResultShape Default { get; } = new();

    /// <summary><c>_elements</c>: top-level element names to keep (empty = all).</summary>
    public ImmutableArray<string> Elements { get; init; } = [];

    public bool Equals(SearchResultShape? other) =>
        other is not null && Summary == other.Summary && Elements.SequenceEqual(other.Elements);

    public override int GetHashCode() => HashCode.Combine(Summary, Elements.Length);
}
