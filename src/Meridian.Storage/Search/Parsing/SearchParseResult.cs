using System.Collections.Immutable;
using Meridian.Fhir.Outcomes;

namespace Meridian.Storage.Search.Parsing;

/// <summary>How to treat unknown or invalid search parameters (FHIR <c>Prefer: handling=</c>).</summary>
public enum SearchHandling
{
    /// <summary>Every unknown or invalid parameter is an error; the caller answers 400.</summary>
    Strict,
    /// <summary>Unknown or invalid parameters are dropped and listed; the search runs without them.</summary>
    Lenient,
}

/// <summary>One <c>name=value</c> pair of a query string or form body, as received (URL-decoded).</summary>
public readonly record struct QueryParameter(string Name, string Value)
{
    public override string ToString() => Name + "=" + Value;
}

/// <summary>
/// The outcome of parsing a search: the query to run, how to shape the result, the issues found,
/// and which pairs were applied or ignored (lenient mode), so the caller can build the Bundle's
/// self link from what was actually used.
/// </summary>
public sealed record SearchParseResult(
    SearchQuery Query,
    SearchResultShape Shape,
    ImmutableArray<Issue> Issues,
    ImmutableArray<QueryParameter> Applied,
    ImmutableArray<QueryParameter> Ignored)
{
    /// <summary>True when any issue is an error (only possible in strict mode).</summary>
    public bool HasErrors
    {
        get
        {
            foreach (var issue in Issues)
            {
                if (issue.IsError)
                {
                    return true;
                }
            }
            return false;
        }
    }
}
