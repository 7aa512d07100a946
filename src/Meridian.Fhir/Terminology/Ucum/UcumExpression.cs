using System.Collections.Immutable;
using System.Numerics;

namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>A UCUM prefix from the essence (e.g. "m" = 10^-3).</summary>
internal sealed record UcumPrefix(string Code, string Name, Rational Value);

/// <summary>
/// A unit atom as the parser needs it: its code, whether prefixes may be applied, and how it is
/// defined. The canonical meaning is kept apart (<see cref="UcumCanonicalForm"/>) so the parser can
/// be used to read the definitions themselves. The definition's number stays text until the atom
/// is first used, so start-up does no big-number arithmetic.
/// </summary>
internal sealed record UcumAtom(
    string Code,
    string Name,
    bool IsBase,
    bool IsMetric,
    bool IsSpecial,
    bool IsArbitrary,
    string DefinitionUnit,
    string DefinitionValue,
    string? FunctionName);

/// <summary>One factor of a unit term (UCUM grammar "component").</summary>
internal abstract record UcumComponent;

/// <summary>A simple unit with an optional prefix, raised to an integer exponent ("cm2", "s-1").</summary>
internal sealed record UcumUnitComponent(UcumPrefix? Prefix, UcumAtom Atom, int Exponent) : UcumComponent;

/// <summary>A positive integer factor ("4" in "4.[pi]").</summary>
internal sealed record UcumFactorComponent(BigInteger Value) : UcumComponent;

/// <summary>An annotation on its own ("{cells}"): the unity. Keeps the text for display.</summary>
internal sealed record UcumUnityComponent(string Annotation) : UcumComponent;

/// <summary>A parenthesised sub-term.</summary>
internal sealed record UcumGroupComponent(UcumTerm Term) : UcumComponent;

/// <summary>A component and whether it multiplies (".") or divides ("/") what precedes it.</summary>
internal readonly record struct UcumTermPart(bool Divide, UcumComponent Component);

/// <summary>A parsed unit term, evaluated left to right.</summary>
internal sealed record UcumTerm(ImmutableArray<UcumTermPart> Parts);
