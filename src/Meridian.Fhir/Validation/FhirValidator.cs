using System.Collections.Frozen;
using System.Collections.Immutable;
using Meridian.Fhir.FhirPath;
using Meridian.Fhir.Model;
using Meridian.Fhir.Outcomes;
using Meridian.Fhir.Serialization;
using Meridian.Fhir.Specification;

namespace Meridian.Fhir.Validation;

/// <summary>
/// Validates resources against the base FHIR specification: structure and cardinality,
/// primitive formats, required bindings, reference targets and invariants. Everything the
/// spec says about a type or element is turned into a plan once, at construction; a
/// validation is then one walk over the tree that allocates only for the issues it finds.
/// Immutable and thread-safe: share one instance.
/// </summary>
public sealed class FhirValidator
{
    private static readonly Lazy<FhirValidator> s_r4 = new(() => new FhirValidator(FhirSpec.R4, FhirPathEngine.R4), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FhirJsonParser _parser;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> _resourceTypes;

    public FhirValidator(FhirSpec spec, FhirPathEngine fhirPath, ValidatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(fhirPath);
        Spec = spec;
        Options = options ?? ValidatorOptions.Default;
        _parser = new FhirJsonParser(spec);
        _resourceTypes = spec.ResourceTypes.ToFrozenSet(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        Plans = new ValidationPlans(spec, new ConstraintCompiler(fhirPath));
    }

    /// <summary>A validator for FHIR R4 with default options.</summary>
    public static FhirValidator R4 => s_r4.Value;

    public FhirSpec Spec { get; }
    public ValidatorOptions Options { get; }
    internal ValidationPlans Plans { get; }

    /// <summary>Validates a resource tree (structure, values, bindings, references, invariants).</summary>
    public ImmutableArray<Issue> Validate(FhirNode resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var run = new ValidationRun(this, reportParserFindings: true);
        run.Visit(resource);
        return run.Issues;
    }

    /// <summary>Parses and validates JSON: the parser's issues (with line/column for malformed
    /// JSON) followed by the validation issues of whatever could be read.</summary>
    /// <param name="expectedType">When given, any other resourceType is an error.</param>
    public ImmutableArray<Issue> Validate(ReadOnlyMemory<byte> json, string? expectedType = null)
    {
        var parsed = _parser.Parse(json, expectedType);
        if (parsed.Resource is null)
        {
            return parsed.Issues;
        }
        var run = new ValidationRun(this, reportParserFindings: false);
        foreach (var issue in parsed.Issues)
        {
            run.Add(issue);
        }
        run.Visit(parsed.Resource);
        return run.Issues;
    }

    /// <summary>The interned resource type name spelled by <paramref name="name"/>, or null.</summary>
    internal string? ResourceType(ReadOnlySpan<char> name) =>
        _resourceTypes.TryGetValue(name, out var actual) ? actual : null;
}
