using System.Collections.Immutable;
using Meridian.Storage.Search.Rewriters;

namespace Meridian.Storage.Search.Parsing;

/// <summary>Server policy for the search parser; validated once at construction of the parser.</summary>
public sealed record SearchParserOptions
{
    public static SearchParserOptions Default { get; } = new();

    /// <summary>Page size when <c>_count</c> is absent.</summary>
    public int DefaultCount { get; init; } = 50;

    /// <summary>Largest page; a bigger <c>_count</c> is lowered to it with a warning.</summary>
    public int MaxCount { get; init; } = 1000;

    /// <summary><c>near</c> distance when the value gives none.</summary>
    public decimal DefaultNearDistanceKm { get; init; } = 50m;

    /// <summary>
    /// This server's base URLs (e.g. <c>https://fhir.example.org/fhir</c>): a reference search
    /// value under one of them is read as the local <c>Type/id</c> it names, because stored local
    /// references are relative.
    /// </summary>
    public ImmutableArray<string> LocalBaseUrls { get; init; } = [];

    /// <summary>Rewriters applied, in order, to every parsed query.</summary>
    public ImmutableArray<ISearchQueryRewriter> Rewriters { get; init; } = SearchRewriters.Default;
}
