using System.Collections.Frozen;

namespace Meridian.Fhir.Terminology.Ucum;

/// <summary>
/// The conversion functions of UCUM special units. The essence names a function and gives its
/// unit ("degF" with 5 K/9) but the functions themselves are defined only in the prose of UCUM
/// §3.1, so the affine ones are listed here: f(x) = x + offset, measured in the function's unit.
/// The non-linear ones (ln, lg, pH, tan, homeopathic potencies, sqrt) are recognised but not
/// convertible: no FHIR use needs them and their inverse is not unique for every input.
/// </summary>
internal static class UcumSpecialFunctions
{
    private static readonly FrozenDictionary<string, Rational> s_affineOffsets = new Dictionary<string, Rational>(StringComparer.Ordinal)
    {
        ["Cel"] = Parse("273.15"),     // K = Cel + 273.15
        ["degF"] = Parse("459.67"),    // K = (degF + 459.67) × 5/9
        ["degRe"] = Parse("218.52"),   // K = (degRe + 218.52) × 5/4  (= degRe × 5/4 + 273.15)
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The offset of an affine special function, or false for a non-linear one.</summary>
    public static bool TryGetAffineOffset(string functionName, out Rational offset) =>
        s_affineOffsets.TryGetValue(functionName, out offset);

    private static Rational Parse(string text) =>
        Rational.TryParse(text, out var r) ? r : throw new InvalidOperationException($"bad constant {text}");
}
