using System.Collections.Immutable;
using Meridian.Fhir.Model;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Search.Internal;

/// <summary>A compiled expression: appends the nodes it selects from <c>focus</c> to <c>output</c>.</summary>
internal interface INodeSelector
{
    void Select(FhirNode focus, FhirNode resource, List<FhirNode> output);

    /// <summary>Where the selector came from, for diagnostics and tests: "path" or "fhirpath".</summary>
    string Engine { get; }
}

/// <summary>One component of a composite parameter: its own type and expression (relative to the
/// node the composite's expression selects).</summary>
internal sealed record ComponentPlan(SearchParamType Type, INodeSelector Selector);

/// <summary>Everything needed to index one parameter for one resource type, compiled once.</summary>
internal sealed record ParameterPlan(SearchParameterDefinition Definition, INodeSelector Selector, ImmutableArray<ComponentPlan> Components);
