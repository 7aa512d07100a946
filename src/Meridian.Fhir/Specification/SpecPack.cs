using System.Text.Json.Serialization;

namespace Meridian.Fhir.Specification;

// The on-disk shape of the compiled specification pack. It is produced offline by
// tools/Meridian.SpecPack from the pristine hl7.fhir.r4.core package and embedded (Brotli)
// in this assembly, so the core builds and runs without ../shared. Kept flat and small so a
// cold load stays well under a second; FhirSpec turns it into the navigable model.

public sealed class SpecPack
{
    public required string FhirVersion { get; init; }
    public required List<PackType> Types { get; init; }
    public required List<PackSearchParameter> SearchParameters { get; init; }
    public required List<PackValueSet> ValueSets { get; init; }
    public required List<PackCompartment> Compartments { get; init; }
}

public sealed class PackType
{
    public required string Name { get; init; }
    public required string Url { get; init; }
    public required string Kind { get; init; }
    public bool Abstract { get; init; }
    public string? Base { get; init; }
    /// <summary>For constraint profiles (e.g. SimpleQuantity): the type constrained.</summary>
    public string? Constrains { get; init; }
    /// <summary>For primitive types: the regex of the value, from the spec.</summary>
    public string? Regex { get; init; }
    public required List<PackElement> Elements { get; init; }
}

public sealed class PackElement
{
    public required string Path { get; init; }
    public int Min { get; init; }
    public required string Max { get; init; }
    public List<PackTypeRef>? Types { get; init; }
    public string? ContentReference { get; init; }
    public string? BindingStrength { get; init; }
    public string? BindingValueSet { get; init; }
    public List<PackConstraint>? Constraints { get; init; }
    public bool Summary { get; init; }
    public bool Modifier { get; init; }
    public int? MaxLength { get; init; }
}

public sealed class PackTypeRef
{
    public required string Code { get; init; }
    public List<string>? TargetProfiles { get; init; }
    public List<string>? Profiles { get; init; }
}

public sealed class PackConstraint
{
    public required string Key { get; init; }
    public required string Severity { get; init; }
    public required string Expression { get; init; }
    public required string Human { get; init; }
}

public sealed class PackSearchParameter
{
    public required string Url { get; init; }
    public required string Code { get; init; }
    public required List<string> Base { get; init; }
    public required string Type { get; init; }
    public string? Expression { get; init; }
    public List<string>? Target { get; init; }
    public List<string>? Modifier { get; init; }
    public List<string>? Comparator { get; init; }
    public List<PackSearchComponent>? Component { get; init; }
}

public sealed class PackSearchComponent
{
    public required string Definition { get; init; }
    public required string Expression { get; init; }
}

public sealed class PackValueSet
{
    public required string Url { get; init; }
    /// <summary>False when the value set draws on a code system that cannot be enumerated
    /// from the spec (BCP-13 mime types, ISO 4217, UCUM...): validators must not reject codes.</summary>
    public bool Enumerable { get; init; }
    public required List<PackCodeSystemCodes> Systems { get; init; }
}

public sealed class PackCodeSystemCodes
{
    public required string System { get; init; }
    public required List<string> Codes { get; init; }
}

public sealed class PackCompartment
{
    public required string Code { get; init; }
    public required Dictionary<string, List<string>> Resources { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(SpecPack))]
public sealed partial class SpecPackJsonContext : JsonSerializerContext;
