using Meridian.Fhir.Search;
using Meridian.Fhir.Specification;
using Meridian.Fhir.Terminology;
using Meridian.Storage.Search.Parsing.Internal;

namespace Meridian.Storage.Search.Parsing;

/// <summary>
/// Parses the parameters of a FHIR search (<c>GET [base]/[type]?…</c>, <c>POST [type]/_search</c>,
/// <c>GET [base]?_type=…</c>) into a <see cref="SearchQuery"/> expression tree, then runs the
/// configured rewriters over it. Immutable after construction and safe to share across threads;
/// every problem comes back as an issue in the result, never as an exception.
/// </summary>
public sealed class SearchQueryParser
{
    private static readonly Lazy<SearchQueryParser> s_r4 =
        new(() => new SearchQueryParser(FhirSpec.R4, SearchIndexer.R4.Skipped, SearchParserOptions.Default), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FilterParser _filters;
    private readonly ResultParameterParser _results;

    /// <summary>The parser for the embedded R4 specification with default options.</summary>
    public static SearchQueryParser R4 => s_r4.Value;

    /// <summary>
    /// <paramref name="unsupported"/> are the parameters the store does not index (the indexer's
    /// <see cref="SearchIndexer.Skipped"/>): searching by them is reported, not silently empty.
    /// </summary>
    public SearchQueryParser(FhirSpec spec, IEnumerable<SkippedParameter> unsupported, SearchParserOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(unsupported);
        options ??= SearchParserOptions.Default;
        if (options.MaxCount < 1 || options.DefaultCount < 0 || options.DefaultCount > options.MaxCount)
        {
            throw new ArgumentException($"search options need 0 <= DefaultCount ({options.DefaultCount}) <= MaxCount ({options.MaxCount}) and MaxCount >= 1", nameof(options));
        }
        if (options.DefaultNearDistanceKm <= 0)
        {
            throw new ArgumentException("DefaultNearDistanceKm must be positive", nameof(options));
        }
        Spec = spec;
        Options = options;
        var catalog = new ParameterCatalog(spec, unsupported.Select(s => (s.Parameter.Url, s.Reason)));
        _filters = new FilterParser(catalog, options);
        _results = new ResultParameterParser(catalog);
    }

    /// <summary>A parser for the embedded R4 specification with other options.</summary>
    public SearchQueryParser(SearchParserOptions options)
        : this(FhirSpec.R4, SearchIndexer.R4.Skipped, options)
    {
    }

    public FhirSpec Spec { get; }

    public SearchParserOptions Options { get; }

    /// <summary>
    /// Parses <paramref name="parameters"/> (in request order, URL-decoded) of a search on
    /// <paramref name="resourceType"/> (null for a search across all types), optionally within
    /// a <paramref name="compartment"/> (which needs a resource type).
    /// </summary>
    public SearchParseResult Parse(string? resourceType, IReadOnlyList<QueryParameter> parameters, SearchHandling handling = SearchHandling.Lenient, SearchCompartment? compartment = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var run = new SearchParseRun(this, _filters, _results, handling);
        return run.Execute(resourceType, parameters, compartment);
    }

    /// <summary>Convenience for callers holding pairs as <see cref="KeyValuePair{TKey, TValue}"/>.</summary>
    public SearchParseResult Parse(string? resourceType, IEnumerable<KeyValuePair<string, string>> parameters, SearchHandling handling = SearchHandling.Lenient, SearchCompartment? compartment = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return Parse(resourceType, [.. parameters.Select(p => new QueryParameter(p.Key, p.Value))], handling, compartment);
    }
}
