using System.Collections.Immutable;

namespace Meridian.Storage.Search.Rewriters;

/// <summary>
/// Drops repeated <c>_include</c>/<c>_revinclude</c> descriptors (<c>Observation:*</c> next to
/// <c>Observation:subject</c>, or the same one twice): the store runs one statement per
/// descriptor, and a repeat returns nothing new. An iterating copy wins over a plain one, since
/// it includes everything the plain one does.
/// </summary>
public sealed class IncludeDeduplicateRewriter : ISearchQueryRewriter
{
    public static IncludeDeduplicateRewriter Instance { get; } = new();

    public SearchQuery Rewrite(SearchQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var includes = Distinct(query.Includes);
        var revIncludes = Distinct(query.RevIncludes);
        return includes == query.Includes && revIncludes == query.RevIncludes
            ? query
            : query with { Includes = includes, RevIncludes = revIncludes };
    }

    private static ImmutableArray<IncludeDescriptor> Distinct(ImmutableArray<IncludeDescriptor> items)
    {
        if (items.Length < 2)
        {
            return items;
        }
        var kept = new List<IncludeDescriptor>(items.Length);
        var changed = false;
        foreach (var item in items)
        {
            // Same source, parameter and target; Iterate is compared separately (it only widens).
            var at = kept.FindIndex(k => k.SourceType == item.SourceType && k.ReferenceCode == item.ReferenceCode && k.TargetType == item.TargetType);
            if (at < 0)
            {
                kept.Add(item);
                continue;
            }
            changed = true;
            if (item.Iterate && !kept[at].Iterate)
            {
                kept[at] = item;
            }
        }
        return changed ? [.. kept] : items;
    }
}
