using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Search;

/// <summary>A search parameter the indexer extracts nothing for, and why (e.g. no expression:
/// <c>_content</c>, <c>_query</c>, <c>_filter</c>).</summary>
public sealed record SkippedParameter(SearchParameterDefinition Parameter, string Reason);
