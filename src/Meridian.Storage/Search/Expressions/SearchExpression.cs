using System.Collections.Immutable;
using Meridian.Fhir.Specification;

namespace Meridian.Storage.Search.Expressions;

/// <summary>
/// A compiled search: an immutable tree (after microsoft/fhir-server) that the query-string
/// parser builds and the SQL generator turns into one statement. Nodes are records so
/// rewriters can compare and rebuild them, and tests can state expected trees literally.
/// </summary>
public abstract record SearchExpression;

/// <summary>All operands match (parameters joined by <c>&amp;</c>).</summary>
public sealed record AndExpression(ImmutableArray<SearchExpression> Operands) : SearchExpression
{
    public bool Equals(AndExpression? other) => other is not null && Operands.SequenceEqual(other.Operands);
    public override int GetHashCode() => Operands.Length;
}

/// <summary>Any operand matches (comma-separated values).</summary>
public sealed record OrExpression(ImmutableArray<SearchExpression> Operands) : SearchExpression
{
    public bool Equals(OrExpression? other) => other is not null && Operands.SequenceEqual(other.Operands);
    public override int GetHashCode() => Operands.Length;
}

/// <summary>The operand does not match (token <c>:not</c>: no value of the parameter matches,
/// which includes resources without a value).</summary>
public sealed record NotExpression(SearchExpression Operand) : SearchExpression;

/// <summary>A value of search parameter <see cref="Code"/> satisfies <see cref="Predicate"/>;
/// the predicate's type chooses the index table.</summary>
public sealed record ParameterExpression(string Code, ValuePredicate Predicate) : SearchExpression;

/// <summary><c>:missing=true|false</c>: the resource has no (or at least one) value for the parameter.</summary>
public sealed record MissingExpression(string Code, SearchParamType Type, bool IsMissing) : SearchExpression;

/// <summary><c>_id</c>: one of the ids.</summary>
public sealed record IdExpression(ImmutableArray<string> Ids) : SearchExpression
{
    public bool Equals(IdExpression? other) => other is not null && Ids.SequenceEqual(other.Ids);
    public override int GetHashCode() => Ids.Length;
}

/// <summary><c>_type</c> in a system-level search.</summary>
public sealed record TypeExpression(ImmutableArray<string> Types) : SearchExpression
{
    public bool Equals(TypeExpression? other) => other is not null && Types.SequenceEqual(other.Types);
    public override int GetHashCode() => Types.Length;
}

/// <summary><c>_lastUpdated</c>, compared like a date parameter against the version's instant.</summary>
public sealed record LastUpdatedExpression(DatePredicate Predicate) : SearchExpression;

/// <summary>
/// Chaining (<c>subject:Patient.name=peter</c>): reference parameter <see cref="ReferenceCode"/>
/// points at a current resource of <see cref="TargetType"/> (any type when null) that matches
/// <see cref="Target"/>, which may itself be chained (multi-level).
/// </summary>
public sealed record ChainedExpression(string ReferenceCode, string? TargetType, SearchExpression Target) : SearchExpression;

/// <summary>
/// Reverse chaining (<c>_has:Observation:patient:code=1234</c>): some current resource of
/// <see cref="SourceType"/> whose reference parameter <see cref="ReferenceCode"/> points at the
/// candidate matches <see cref="Source"/> (which may nest further <c>_has</c>).
/// </summary>
public sealed record ReverseChainedExpression(string SourceType, string ReferenceCode, SearchExpression Source) : SearchExpression;
