using System.Collections.Immutable;
using Meridian.Fhir.Outcomes;
using Meridian.Storage.Search;
using Meridian.Storage.Search.Parsing;

namespace Meridian.Api;

/// <summary><c>Prefer: handling=</c>: lenient ignores parameters it cannot use (and says so),
/// strict rejects the search.</summary>
public enum SearchHandling { Lenient, Strict }

/// <summary>The query, or null when the parameters cannot be searched (then <see cref="Issues"/>
/// says why); in lenient mode <see cref="Issues"/> also lists the parameters that were ignored.</summary>
public sealed record SearchParseResult(SearchQuery? Query, ImmutableArray<Issue> Issues);

/// <summary>
/// Turns search parameters (already split from the query string or form body, result
/// parameters like <c>_summary</c> and <c>_elements</c> removed) into a <see cref="SearchQuery"/>.
/// <paramref name="resourceType"/> is null for a search across all types.
/// </summary>
public interface ISearchQueryParser
{
    /// <summary><paramref name="compartment"/>: a compartment search (<c>Patient/1/Observation</c>), which needs a resource type.</summary>
    SearchParseResult Parse(string? resourceType, IReadOnlyList<KeyValuePair<string, string>> parameters, SearchHandling handling, SearchCompartment? compartment = null);
}
