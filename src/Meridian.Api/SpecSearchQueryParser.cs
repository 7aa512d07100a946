using Meridian.Storage.Search.Parsing;
using StoreHandling = Meridian.Storage.Search.Parsing.SearchHandling;

namespace Meridian.Api;

/// <summary>
/// The search-query module's <see cref="SearchQueryParser"/> (every parameter type, modifier,
/// chain and <c>_has</c> of the spec, plus the rewriters) behind <see cref="ISearchQueryParser"/>.
/// The interaction layer strips result parameters (<c>_summary</c>, <c>_elements</c>,
/// <c>_format</c>, paging cursor) before calling it.
/// </summary>
public sealed class SpecSearchQueryParser(SearchQueryParser parser) : ISearchQueryParser
{
    public static SpecSearchQueryParser R4 { get; } = new(SearchQueryParser.R4);

    /// <summary>The R4 parser clamping <c>_count</c> to <paramref name="options"/>' MaxPageSize (the
    /// shared instance when that is the parser's default; the default page size is applied by the
    /// search interaction either way).</summary>
    public static SpecSearchQueryParser For(FhirApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = SearchParserOptions.Default;
        return options.MaxPageSize == defaults.MaxCount
            ? R4
            : new(new SearchQueryParser(defaults with { DefaultCount = options.DefaultPageSize, MaxCount = options.MaxPageSize }));
    }

    public SearchParseResult Parse(string? resourceType, IReadOnlyList<KeyValuePair<string, string>> parameters, SearchHandling handling, SearchCompartment? compartment = null)
    {
        if (Internal.SearchInputGuard.Check(parameters) is { } refused)
        {
            return new SearchParseResult(null, [refused]);
        }
        var result = parser.Parse(resourceType, parameters, handling == SearchHandling.Strict ? StoreHandling.Strict : StoreHandling.Lenient, compartment);
        return result.HasErrors
            ? new SearchParseResult(null, result.Issues)
            : new SearchParseResult(result.Query, result.Issues);
    }
}
