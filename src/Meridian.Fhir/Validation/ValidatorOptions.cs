namespace Meridian.Fhir.Validation;

/// <summary>What a <see cref="FhirValidator"/> checks beyond structure and primitive formats.</summary>
public sealed record ValidatorOptions
{
    /// <summary>Evaluate the spec's error-severity invariants (natively or with FHIRPath), ele-1 included.</summary>
    public bool ValidateInvariants { get; init; } = true;

    /// <summary>Check codes against the expansions of required bindings.</summary>
    public bool ValidateBindings { get; init; } = true;

    /// <summary>Check that references point to a resource type the element allows.</summary>
    public bool ValidateReferences { get; init; } = true;

    /// <summary>Longest string/markdown value accepted, in characters (the spec: 1 MiB).</summary>
    public int MaxStringLength { get; init; } = 1024 * 1024;

    public static ValidatorOptions Default { get; } = new();
}
