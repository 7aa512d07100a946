using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Meridian.Hl7.Fhir.Mapping;

/// <summary>Which element map each segment of a message structure goes through.</summary>
/// <param name="Names">Message structures (<c>ADT_A01</c>) and events (<c>ADT^A04</c>) the map answers to.</param>
public sealed record MessageMap(string Name, ImmutableArray<string> Names, ImmutableArray<SegmentBinding> Segments, string Origin);

/// <summary>
/// One line of a message map: segment <see cref="SegmentId"/> goes through element map
/// <see cref="MapName"/>. With <see cref="Alias"/> the resource it makes can be referenced by that
/// name; with <see cref="Into"/> no resource is made — the rules fill the resource of that alias
/// (the nearest one before the segment, e.g. RXR into the Immunization of its RXA).
/// </summary>
public sealed record SegmentBinding(string SegmentId, string MapName, string? Alias, string? Into);

/// <summary>
/// A segment map (<c>segment PID[Patient] Patient</c>) or a data type map (<c>datatype XPN HumanName</c>):
/// rules that fill one FHIR element. When <see cref="FhirType"/> is a resource type, each value
/// becomes its own Bundle entry (keyed by <see cref="Keys"/>) and the rule that used it gets a reference.
/// </summary>
public sealed record ElementMap(string Name, ImmutableArray<string> Names, string FhirType, bool IsResource, ImmutableArray<MapRule> Rules, ImmutableArray<KeySpec> Keys, string Origin);

public enum RuleKind
{
    /// <summary><c>SOURCE TARGET TYPE [VOCABULARY] [path=value…]</c>.</summary>
    Field,

    /// <summary><c>"literal" TARGET TYPE</c>.</summary>
    Constant,

    /// <summary><c>ref TARGET ALIAS</c>: a reference to the resource of ALIAS.</summary>
    Reference,

    /// <summary><c>link ALIAS TARGET [path=value…]</c>: ALIAS's resource gets a reference to this one.</summary>
    Link,
}

/// <param name="Source">A v2 path (<c>PID-3[*].4</c>, <c>4.2</c>, <c>*</c>), the literal, or the alias.</param>
/// <param name="Target">A FHIR path with FSH-style soft indexes (<c>name[+].given[+]</c>, <c>coding[=].system</c>).</param>
/// <param name="Type">A primitive (string, code, dateTime…), a data type map name (CX, XPN…) or <c>varies</c>.</param>
/// <param name="Sets">Constants set inside the produced value (for <see cref="RuleKind.Link"/>, inside ALIAS's resource).</param>
public sealed record MapRule(RuleKind Kind, string Source, string Target, string Type, string? Vocabulary, ImmutableArray<KeyValuePair<string, string>> Sets, int Line);

/// <summary>
/// How a resource is found again so a re-sent message updates instead of duplicating:
/// <c>identifier [TYPE]</c> (conditional update on the first identifier with a system, of that
/// type code when given) or <c>hash PART…</c> (a deterministic id from v2 values and aliases).
/// </summary>
public sealed record KeySpec(string Kind, ImmutableArray<string> Parts);

public sealed record VocabularyEntry(string System, string Code, string Display);

/// <summary>A v2 table mapped to FHIR codes (generated from the IG's concept maps).</summary>
public sealed record VocabularyMap(string Name, FrozenDictionary<string, VocabularyEntry> Codes, string Origin)
{
    /// <summary>The system most codes map to; a primitive code rule ignores entries of another system.</summary>
    public string? PrimarySystem { get; init; }
}

/// <summary>How OBX-5 ("varies") is read for one v2 value type.</summary>
public sealed record VariesEntry(string V2Type, string FhirSuffix, string MapType);
