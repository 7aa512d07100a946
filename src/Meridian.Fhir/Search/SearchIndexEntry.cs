using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Search;

/// <summary>One index row: a value of a search parameter for the resource being indexed.</summary>
public sealed record SearchIndexEntry(SearchParameterDefinition Parameter, SearchValue Value);
