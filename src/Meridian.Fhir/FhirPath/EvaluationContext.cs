using Meridian.Fhir.Model;

namespace Meridian.Fhir.FhirPath;

/// <summary>Environment of one evaluation: the FHIR environment variables and the hooks a host supplies.</summary>
public sealed record EvaluationContext
{
    /// <summary>%resource; by default the resource containing the focus.</summary>
    public FhirNode? Resource { get; init; }

    /// <summary>%rootResource; by default the outermost resource above %resource (a Bundle or container).</summary>
    public FhirNode? RootResource { get; init; }

    /// <summary>Resolves a reference string for resolve() when it is neither contained nor in the enclosing Bundle.</summary>
    public Func<string, FhirNode?>? Resolver { get; init; }

    /// <summary>Extra %name constants. Values are FhirNode, System values, or collections of them.</summary>
    public IReadOnlyDictionary<string, object?>? Variables { get; init; }
}
