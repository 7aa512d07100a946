using System.Collections.Immutable;

namespace Meridian.Fhir.Search;

/// <summary>
/// One typed index value extracted from a resource for a search parameter. Each subtype maps
/// to one index table in the store: the fields are flat, nullable columns so every FHIR
/// search modifier becomes a plain SQL predicate (no JSON inspection at query time).
/// </summary>
public abstract record SearchValue;

/// <summary>
/// A token: <c>system|code</c> plus display/text. Text-only rows (CodeableConcept.text,
/// Identifier.type.text) have a null code. <see cref="TypeSystem"/>/<see cref="TypeCode"/>
/// carry one Identifier.type coding for <c>:of-type</c>; an identifier with several type
/// codings yields one row per coding.
/// </summary>
public sealed record TokenValue(string? System, string? Code, string? Text) : SearchValue
{
    /// <summary><see cref="Text"/> normalised like <see cref="StringValue.Normalized"/>, for <c>:text</c>.
    /// Computed on demand: most token rows never need it, and extraction is a hot path.</summary>
    public string? TextNormalized => Text is null ? null : StringNormalizer.Normalize(Text);
    public string? TypeSystem { get; init; }
    public string? TypeCode { get; init; }
}

/// <summary>A string: the exact value (for <c>:exact</c>) and its accent- and case-folded form
/// (for the default starts-with and <c>:contains</c> matches).</summary>
public sealed record StringValue(string Value) : SearchValue
{
    public string Normalized { get; } = StringNormalizer.Normalize(Value);
}

/// <summary>How a reference value points at its target.</summary>
public enum ReferenceKind
{
    /// <summary><c>Patient/123</c> (optionally <c>/_history/2</c>) on this server.</summary>
    Local,
    /// <summary>An absolute URL; <see cref="ReferenceValue.ResourceType"/>/<see cref="ReferenceValue.Id"/>
    /// are filled when the URL ends in a RESTful <c>Type/id</c>.</summary>
    Absolute,
    /// <summary><c>#id</c>: a resource contained in the indexed resource.</summary>
    Contained,
    /// <summary>A canonical (<c>url|version</c>).</summary>
    Canonical,
    /// <summary>A URN (<c>urn:uuid:</c>, <c>urn:oid:</c>) or other opaque URI.</summary>
    Uri,
    /// <summary>A conditional reference (<c>Practitioner?identifier=...</c>), which a transaction
    /// resolves before storing; <see cref="ReferenceValue.ResourceType"/> is its type.</summary>
    Conditional,
}

/// <summary>
/// A reference. <see cref="Reference"/> is the value as written; the other fields are its
/// parsed parts. For a canonical, <see cref="Url"/> is the url without <c>|version</c> and
/// <see cref="Version"/> the version.
/// </summary>
public sealed record ReferenceValue(ReferenceKind Kind, string Reference) : SearchValue
{
    public string? ResourceType { get; init; }
    public string? Id { get; init; }
    public string? Version { get; init; }
    /// <summary>The absolute or canonical URL (without version); null for local references.</summary>
    public string? Url { get; init; }
    /// <summary>For an absolute RESTful URL, the service base (before <c>/Type/id</c>).</summary>
    public string? BaseUrl { get; init; }
}

/// <summary>
/// A date/time as the closed instant range it denotes, in UTC: <c>2020</c> is
/// [2020-01-01T00:00:00Z, 2020-12-31T23:59:59.9999999Z]. Open Period ends are
/// <see cref="DateTimeOffset.MinValue"/>/<see cref="DateTimeOffset.MaxValue"/>.
/// Values without a time zone are read as UTC (see docs/conformance.md).
/// </summary>
public sealed record DateRangeValue(DateTimeOffset Low, DateTimeOffset High) : SearchValue;

/// <summary>
/// A quantity. A plain quantity has <see cref="Value"/> = <see cref="Low"/> = <see cref="High"/>;
/// a Range (or a quantity with a comparator) has only the bounds it states. The canonical
/// fields hold the UCUM-canonical form when the unit is UCUM and convertible.
/// </summary>
public sealed record QuantityValue(decimal? Value, decimal? Low, decimal? High, string? System, string? Code, string? Unit) : SearchValue
{
    public string? Comparator { get; init; }
    public decimal? CanonicalValue { get; init; }
    public decimal? CanonicalLow { get; init; }
    public decimal? CanonicalHigh { get; init; }
    public string? CanonicalUnit { get; init; }
}

/// <summary>A number with the range its precision implies: 100 is [99.5, 100.5].</summary>
public sealed record NumberValue(decimal Value, decimal Low, decimal High) : SearchValue;

/// <summary>A URI; for a canonical, the url without <c>|version</c> and the version.</summary>
public sealed record UriValue(string Uri, string? Version) : SearchValue;

/// <summary>One combination of component values (one value per component, in component order).</summary>
public sealed record CompositeValue(ImmutableArray<SearchValue> Components) : SearchValue
{
    // Value equality over the components (ImmutableArray compares by reference).
    public bool Equals(CompositeValue? other) =>
        other is not null && Components.AsSpan().SequenceEqual(other.Components.AsSpan());

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var c in Components)
        {
            hash.Add(c);
        }
        return hash.ToHashCode();
    }
}

/// <summary>Location.position for <c>near</c>: latitude/longitude in decimal degrees (WGS84).</summary>
public sealed record PositionValue(decimal Latitude, decimal Longitude) : SearchValue;
