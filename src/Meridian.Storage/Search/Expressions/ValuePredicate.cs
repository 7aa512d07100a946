using System.Collections.Immutable;

namespace Meridian.Storage.Search.Expressions;

/// <summary>A condition on one index value; each subtype has one SQL generator.</summary>
public abstract record ValuePredicate;

/// <summary>Comparison prefixes of number, date and quantity parameters.</summary>
public enum SearchPrefix { Eq, Ne, Gt, Lt, Ge, Le, Sa, Eb, Ap }

public enum TokenMatch
{
    /// <summary><c>[system|]code</c>.</summary>
    Code,
    /// <summary><c>:text</c>: the display/text starts with <see cref="TokenPredicate.Code"/> (normalised).</summary>
    Text,
    /// <summary><c>:of-type</c>: identifier type <see cref="TokenPredicate.TypeSystem"/>|<see cref="TokenPredicate.TypeCode"/> and value <see cref="TokenPredicate.Code"/>.</summary>
    OfType,
}

/// <summary>
/// A token. <see cref="System"/>: null = any system, "" = no system (<c>|code</c>);
/// <see cref="Code"/>: null = any code in the system (<c>system|</c>).
/// </summary>
public sealed record TokenPredicate(string? System, string? Code) : ValuePredicate
{
    public TokenMatch Match { get; init; } = TokenMatch.Code;
    public string? TypeSystem { get; init; }
    public string? TypeCode { get; init; }
}

public enum StringMatch { StartsWith, Exact, Contains }

/// <summary>A string: default starts-with and <c>:contains</c> compare the normalised forms
/// (<see cref="Meridian.Fhir.Search.StringNormalizer"/>); <c>:exact</c> the value as written.</summary>
public sealed record StringPredicate(string Value, StringMatch Match = StringMatch.StartsWith) : ValuePredicate;

/// <summary>
/// A reference: <see cref="Id"/> with optional <see cref="ResourceType"/> (local or absolute
/// RESTful references), or <see cref="Url"/> with optional <see cref="Version"/> (canonicals and
/// absolute URLs).
/// </summary>
public sealed record ReferencePredicate(string? ResourceType, string? Id) : ValuePredicate
{
    public string? Url { get; init; }
    public string? Version { get; init; }
}

/// <summary>A date search value as the closed range its precision denotes (<c>2020</c> = the whole year).</summary>
public sealed record DatePredicate(SearchPrefix Prefix, DateTimeOffset Low, DateTimeOffset High) : ValuePredicate;

/// <summary>A number and the range its precision implies (<c>100</c> = [99.5, 100.5)).</summary>
public sealed record NumberPredicate(SearchPrefix Prefix, decimal Value, decimal Low, decimal High) : ValuePredicate;

/// <summary>
/// A quantity <c>[prefix]number|system|code</c>. When the canonical fields are set (UCUM unit
/// that converts), rows are compared in canonical units, so <c>5.4|ucum|mg</c> finds 0.0054 g.
/// </summary>
public sealed record QuantityPredicate(SearchPrefix Prefix, decimal Value, decimal Low, decimal High, string? System, string? Code) : ValuePredicate
{
    public decimal? CanonicalValue { get; init; }
    public decimal? CanonicalLow { get; init; }
    public decimal? CanonicalHigh { get; init; }
    public string? CanonicalUnit { get; init; }
}

public enum UriMatch { Exact, Below, Above }

/// <summary>A URI; <c>:below</c> = the value starts with it, <c>:above</c> = it starts with the value.</summary>
public sealed record UriPredicate(string Uri, UriMatch Match = UriMatch.Exact) : ValuePredicate;

/// <summary>A composite: one predicate per component, all true on the same index row.</summary>
public sealed record CompositePredicate(ImmutableArray<ValuePredicate> Components) : ValuePredicate
{
    public bool Equals(CompositePredicate? other) => other is not null && Components.SequenceEqual(other.Components);
    public override int GetHashCode() => Components.Length;
}

/// <summary><c>near=lat|long|distance|km</c> (Location.position), matched within a bounding box.</summary>
public sealed record NearPredicate(decimal Latitude, decimal Longitude, decimal DistanceKm) : ValuePredicate;
